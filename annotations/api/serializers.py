"""Input and output shapes of the annotations API. No logic: services decide."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.anchoring import OffsetMap
from annotations.api.expand import claims_for_page
from annotations.models import Article, Claim, Evidence, Link, LinkCheck, Stance
from annotations.querysets import evidence_is_stale
from annotations.selectors import LINK_SUMMARY_FIELDS
from factcheck.serializers import StrictInput
from factcheck.sparse import SparseFieldsMixin
from reviews.models import PRIORITY_NAME

MAX_INPUT_CHARS = 2_000_000  # the service applies the real text limit after normalizing


class ArticleCreateInput(StrictInput):
    url = serializers.CharField(
        max_length=4096,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Alone (no text or html): the page is fetched and its main text and "
        "metadata extracted.",
    )
    title = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required with text or html; by URL, taken from the page when left out.",
    )
    byline = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    published_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    language = serializers.CharField(max_length=35, required=False, allow_blank=True, default="")
    text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=MAX_INPUT_CHARS
    )
    html = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=MAX_INPUT_CHARS
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("text") and not attrs.get("html") and not attrs.get("url"):
            raise serializers.ValidationError(
                {"text": ["Send the article as text or html, or its url alone."]}
            )
        return attrs


class UserField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(slug_field="username", **kwargs)


_DATETIME = serializers.DateTimeField()


def _datetime(value: Any) -> Any:
    """What DRF's DateTimeField renders (ISO 8601 in the current time zone, `Z` for UTC)."""
    if not value:
        return None
    if value.tzinfo is None or not settings.USE_TZ:
        return _DATETIME.to_representation(value)
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _str(value: Any) -> Any:
    return None if value is None else str(value)


def _username(user: Any) -> Any:
    return None if user is None else user.username


class FastOutputMixin:
    """A hand-written ``to_representation`` for hot output shapes (hundreds of rows a page).

    The declared fields stay (they make the OpenAPI schema); ``_row`` builds the same JSON as
    DRF's field-by-field walk, from already loaded rows, in declaration order. When the
    serializer's fields are not exactly ``Meta.fields`` (``?fields=``, a subclass adding
    some), DRF's generic path runs.
    """

    def _row(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def to_representation(self, instance: Any) -> Any:
        fast = self.__dict__.get("_fast")
        if fast is None:
            fast = self._fast = list(self.fields) == list(self.Meta.fields)  # type: ignore[attr-defined]
        if fast:
            return self._row(instance)
        return super().to_representation(instance)  # type: ignore[misc]


class LinkSummaryOutput(FastOutputMixin, serializers.ModelSerializer):
    class Meta:
        model = Link
        # One list for the output and for the columns the selectors load.
        fields = LINK_SUMMARY_FIELDS
        read_only_fields = fields

    def _row(self, obj: Link) -> dict[str, Any]:
        return _link_row(obj)


def _link_row(obj: Link) -> dict[str, Any]:
    status = obj.last_status
    return {
        "id": obj.id,
        "url": _str(obj.url),
        "health": _str(obj.health),
        "final_url": _str(obj.final_url),
        "last_status": None if status is None else int(status),
        "last_checked_at": _datetime(obj.last_checked_at),
    }


class EvidenceOutput(FastOutputMixin, serializers.ModelSerializer):
    added_by = UserField()
    link = LinkSummaryOutput(read_only=True)
    stale = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = (
            "id",
            "claim",
            "url",
            "title",
            "stance",
            "note",
            "archive_url",
            "added_by",
            "link",
            "fingerprint_at_attach",
            "changed",
            "stale",
            "created_at",
        )
        read_only_fields = fields

    def get_stale(self, obj: Evidence) -> bool:
        return evidence_is_stale(obj)

    def _row(self, obj: Evidence) -> dict[str, Any]:
        return _evidence_row(obj)


def _evidence_row(obj: Evidence) -> dict[str, Any]:
    link = obj.link
    return {
        "id": _str(obj.id),
        "claim": obj.claim_id,  # what PrimaryKeyRelatedField gives: the UUID itself
        "url": _str(obj.url),
        "title": _str(obj.title),
        "stance": _str(obj.stance),
        "note": _str(obj.note),
        "archive_url": _str(obj.archive_url),
        "added_by": _username(obj.added_by),
        "link": None if link is None else _link_row(link),
        "fingerprint_at_attach": _str(obj.fingerprint_at_attach),
        "changed": bool(obj.changed),
        "stale": evidence_is_stale(obj),
        "created_at": _datetime(obj.created_at),
    }


class PriorityOutput(serializers.ChoiceField):
    """A review's priority by name (it is stored as a number, so that lists sort by it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(PRIORITY_NAME.values()), **kwargs)

    def to_representation(self, value: Any) -> str:
        return PRIORITY_NAME.get(value, "normal")


class ReviewSummaryOutput(serializers.Serializer):
    state = serializers.CharField()
    verdict = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username", default=None)
    needs_rereview = serializers.BooleanField()
    version = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    priority = PriorityOutput()


def _review_row(claim: Claim) -> dict[str, Any] | None:
    try:
        review = claim.review  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    if review is None:
        return None
    return {
        "state": _str(review.state),
        "verdict": _str(review.verdict),
        "assignee": _username(review.assignee),
        "needs_rereview": bool(review.needs_rereview),
        "version": None if review.version is None else int(review.version),
        "due_at": _datetime(review.due_at),
        "priority": PRIORITY_NAME.get(review.priority, "normal"),
    }


def _evidence_of(claim: Claim) -> Any:
    # The prefetched rows as they are: claim.evidence.all() clones a queryset per claim.
    cached = getattr(claim, "_prefetched_objects_cache", {}).get("evidence")
    return cached if cached is not None else claim.evidence.all()


class ClaimOutput(SparseFieldsMixin, FastOutputMixin, serializers.ModelSerializer):
    article = serializers.UUIDField(source="article_id", read_only=True)
    revision = serializers.IntegerField(source="revision.number", read_only=True)
    utf16_start = serializers.SerializerMethodField(
        help_text="`start` in UTF-16 code units, as JavaScript counts."
    )
    utf16_end = serializers.SerializerMethodField(
        help_text="`end` in UTF-16 code units, as JavaScript counts."
    )
    created_by = UserField()
    review = ReviewSummaryOutput(read_only=True)
    stale = serializers.SerializerMethodField()
    evidence = EvidenceOutput(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = (
            "id",
            "article",
            "revision",
            "start",
            "end",
            "utf16_start",
            "utf16_end",
            "exact",
            "prefix",
            "suffix",
            "claimant",
            "summary",
            "tags",
            "anchor_state",
            "anchor_score",
            "version",
            "review",
            "stale",
            "evidence",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def _offsets(self, obj: Claim) -> OffsetMap:
        # Offsets point into the text of the claim's revision: the current one, unless the
        # claim is orphaned. Views pass one map per revision (``offset_maps``); a lone claim
        # builds its own, once per serializer.
        maps = self.context.setdefault("offset_maps", {})  # type: ignore[attr-defined]
        offsets = maps.get(obj.revision_id)
        if offsets is None:
            offsets = maps[obj.revision_id] = OffsetMap(obj.revision.text)
        return offsets

    def get_utf16_start(self, obj: Claim) -> int:
        return self._offsets(obj).to_utf16(obj.start)

    def get_utf16_end(self, obj: Claim) -> int:
        return self._offsets(obj).to_utf16(obj.end)

    def get_stale(self, obj: Claim) -> bool:
        return bool(getattr(obj, "is_stale", False))

    def _row(self, obj: Claim) -> dict[str, Any]:
        offsets = self._offsets(obj)
        revision = obj.revision
        return {
            "id": _str(obj.id),
            "article": _str(obj.article_id),
            "revision": None if revision is None else int(revision.number),
            "start": int(obj.start),
            "end": int(obj.end),
            "utf16_start": offsets.to_utf16(obj.start),
            "utf16_end": offsets.to_utf16(obj.end),
            "exact": _str(obj.exact),
            "prefix": _str(obj.prefix),
            "suffix": _str(obj.suffix),
            "claimant": _str(obj.claimant),
            "summary": _str(obj.summary),
            "tags": obj.tags,
            "anchor_state": _str(obj.anchor_state),
            "anchor_score": float(obj.anchor_score),
            "version": int(obj.version),
            "review": _review_row(obj),
            "stale": bool(getattr(obj, "is_stale", False)),
            "evidence": [_evidence_row(e) for e in _evidence_of(obj)],
            "created_by": _username(obj.created_by),
            "created_at": _datetime(obj.created_at),
            "updated_at": _datetime(obj.updated_at),
        }


class ArticleList(serializers.ListSerializer):
    """Loads the claims of the whole page when the client asked for ?expand=claims."""

    def to_representation(self, data: Any) -> Any:
        if "claims" in self.child.fields:  # type: ignore[union-attr]
            articles = list(data.all() if hasattr(data, "all") else data)
            request = self.context["request"]
            claims_for_page(user=request.user, articles=articles, context=self.context)
            data = articles
        return super().to_representation(data)


class ArticleListOutput(SparseFieldsMixin, serializers.ModelSerializer):
    created_by = UserField()
    claim_count = serializers.IntegerField(read_only=True, default=0)
    expandable = {
        "claims": lambda: serializers.SerializerMethodField(
            help_text="The article's claims, with ?expand=claims."
        )
    }

    class Meta:
        model = Article
        fields: tuple[str, ...] = (
            "id",
            "url",
            "title",
            "byline",
            "publisher",
            "published_at",
            "language",
            "current_revision",
            "fetch_state",
            "claim_count",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = fields
        list_serializer_class = ArticleList

    @extend_schema_field(ClaimOutput(many=True))
    def get_claims(self, obj: Article) -> list[dict[str, Any]]:
        claims = self.context.get("claims_by_article", {}).get(obj.pk, [])
        return ClaimOutput(claims, many=True, context=self.context).data  # type: ignore[return-value]


class ArticleOutput(ArticleListOutput):
    claims = serializers.SerializerMethodField()
    expandable = {}

    class Meta(ArticleListOutput.Meta):
        fields = (
            *ArticleListOutput.Meta.fields,
            "text_source",
            "fetch_error",
            "fetch_message",
            "last_fetched_at",
            "next_fetch_at",
            "text",
            "claims",
        )
        read_only_fields = fields

    def get_claims(self, obj: Article) -> list[dict[str, Any]]:
        claims = self.context.get("claims", [])
        return ClaimOutput(claims, many=True, context=self.context).data  # type: ignore[return-value]


class ArticleSubmitOutput(ArticleOutput):
    status = serializers.SerializerMethodField()

    class Meta(ArticleOutput.Meta):
        fields = ("status", *ArticleOutput.Meta.fields)
        read_only_fields = fields

    def get_status(self, obj: Article) -> str:
        return str(self.context.get("status", ""))


class ClaimCreateInput(StrictInput):
    start = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    end = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    utf16_start = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    utf16_end = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    exact = serializers.CharField(
        required=False, allow_null=True, trim_whitespace=False, max_length=20_000
    )
    prefix = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False, max_length=64
    )
    suffix = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False, max_length=64
    )
    claimant = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50, default=list
    )


class ClaimUpdateInput(StrictInput):
    claimant = serializers.CharField(max_length=300, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    # The span, before publication: validated as a new claim's (code points, or UTF-16).
    start = serializers.IntegerField(required=False, min_value=0)
    end = serializers.IntegerField(required=False, min_value=0)
    utf16_start = serializers.IntegerField(required=False, min_value=0)
    utf16_end = serializers.IntegerField(required=False, min_value=0)


class ClaimMergeInput(StrictInput):
    other = serializers.UUIDField(help_text="The claim merged into this one, then deleted.")


class EvidenceUpdateInput(StrictInput):
    stance = serializers.ChoiceField(choices=Stance.choices, required=False)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ClaimantOutput(serializers.Serializer):
    claimant = serializers.CharField()
    claims = serializers.IntegerField(help_text="Claims naming this claimant.")
    last_used_at = serializers.DateTimeField()


class EvidenceCreateInput(StrictInput):
    url = serializers.CharField(max_length=4096)
    stance = serializers.ChoiceField(choices=Stance.choices)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    archive_url = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, default=""
    )


class LinkCheckOutput(serializers.ModelSerializer):
    class Meta:
        model = LinkCheck
        fields = (
            "checked_at",
            "health",
            "status_code",
            "final_url",
            "latency_ms",
            "error_class",
            "error_message",
        )
        read_only_fields = fields


class LinkOutput(SparseFieldsMixin, serializers.ModelSerializer):
    evidence_count = serializers.IntegerField(read_only=True, default=0)
    recent_checks = serializers.SerializerMethodField()

    class Meta:
        model = Link
        fields = (
            "id",
            "url",
            "host",
            "health",
            "final_url",
            "last_status",
            "last_error",
            "last_checked_at",
            "last_ok_at",
            "next_check_at",
            "evidence_count",
            "recent_checks",
        )
        read_only_fields = fields

    def get_recent_checks(self, obj: Link) -> list[dict[str, Any]]:
        checks = getattr(obj, "recent", None)
        if checks is None:
            checks = list(obj.checks.all()[: settings.LINKCHECK_RECENT_CHECKS_SHOWN])
        return LinkCheckOutput(checks[: settings.LINKCHECK_RECENT_CHECKS_SHOWN], many=True).data  # type: ignore[return-value]
