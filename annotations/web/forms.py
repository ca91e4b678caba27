"""Input shapes of the desk's forms. Parsing only: the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from annotations.models import Stance
from annotations.search import SEARCH_MAX_CHARS
from reviews.workflow import Action, Input, State, Verdict


def _tags(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


ORDERING_CHOICES = [
    ("", "Default order"),
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("-updated", "Recently changed"),
    ("due", "Due soonest"),
    ("-priority", "Most urgent"),
]
PRIORITY_CHOICES = [("", "Any priority"), *((p, p) for p in ("urgent", "high", "normal", "low"))]


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=SEARCH_MAX_CHARS)
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *State.choices], label="State"
    )
    verdict = forms.ChoiceField(
        required=False, choices=[("", "Any verdict"), *Verdict.choices], label="Verdict"
    )
    tag = forms.CharField(required=False, label="Tag", max_length=50)
    # Claims whose article got a new revision after the claim was first published.
    edited = forms.BooleanField(required=False, label="Edited after publication")
    assignee = forms.CharField(
        required=False, max_length=150, label="Assignee", help_text="A username, me or none."
    )
    claimant = forms.CharField(required=False, max_length=300, label="Claimant")
    article = forms.UUIDField(required=False, widget=forms.HiddenInput)
    created_after = forms.DateField(required=False, label="Created from", widget=_DATE)
    created_before = forms.DateField(required=False, label="Created before", widget=_DATE)
    due_before = forms.DateField(required=False, label="Due before", widget=_DATE)
    overdue = forms.BooleanField(required=False, label="Overdue only")
    priority = forms.ChoiceField(required=False, choices=PRIORITY_CHOICES, label="Priority")
    ordering = forms.ChoiceField(required=False, choices=ORDERING_CHOICES, label="Order")

    def list_filters(self) -> dict[str, Any]:
        """The claim list's filters (`queries.claim_filters`) from the cleaned data: dates as
        the start of that day in the desk's time zone."""
        data = self.cleaned_data

        def day(value: Any) -> Any:
            return timezone.make_aware(datetime.combine(value, time.min)) if value else None

        return {
            "assignee": data.get("assignee") or "",
            "claimant": data.get("claimant") or "",
            "article": data.get("article"),
            "created_after": day(data.get("created_after")),
            "created_before": day(data.get("created_before")),
            "due_before": day(data.get("due_before")),
            "overdue": True if data.get("overdue") else None,
            "priority": [data["priority"]] if data.get("priority") else [],
        }


class _AnyValues(forms.MultipleChoiceField):
    """A list of values that the service checks (here: claim ids), not a list of choices."""

    def valid_value(self, value: str) -> bool:
        return True


class ClaimBulkForm(forms.Form):
    """The queue's bulk bar: the checked claims and one action (reviews.bulk)."""

    ids = _AnyValues(error_messages={"required": "Tick the claims to act on."})
    action = forms.ChoiceField(
        choices=[
            ("assign", "Assign to"),
            ("tag", "Add tag"),
            ("untag", "Remove tag"),
            ("set_priority", "Set priority"),
            ("set_due", "Set due date"),
            ("mark_not_checkable", "Mark not checkable"),
        ]
    )
    assignee = forms.CharField(required=False, max_length=150)
    tag = forms.CharField(required=False, max_length=50)
    priority = forms.ChoiceField(required=False, choices=PRIORITY_CHOICES)
    due = forms.DateField(required=False, widget=_DATE)
    note = forms.CharField(required=False, max_length=5_000)
    next = forms.CharField(required=False, max_length=2_000)


class ArticleFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search articles", max_length=200)


class ClaimMarkForm(forms.Form):
    """A new claim: UTF-16 offsets from the browser's selection, or a quote typed by hand."""

    utf16_start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    utf16_end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    # Not stripped: the quote must match the text character for character.
    exact = forms.CharField(
        required=False,
        strip=False,
        label="Quote",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Paste the exact words of the article, or select them in the text.",
    )
    claimant = forms.CharField(required=False, max_length=300, label="Claimant")
    summary = forms.CharField(
        required=False, label="Summary", widget=forms.Textarea(attrs={"rows": 2})
    )
    tags = forms.CharField(required=False, label="Tags", help_text="Comma-separated.")

    def clean_tags(self) -> list[str]:
        return _tags(self.cleaned_data.get("tags") or "")

    def clean(self) -> dict:
        data = super().clean() or {}
        has_offsets = data.get("utf16_start") is not None and data.get("utf16_end") is not None
        if not has_offsets and not data.get("exact"):
            raise forms.ValidationError("Select some text in the article, or paste a quote.")
        return data


class ClaimUpdateForm(forms.Form):
    expected_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    claimant = forms.CharField(
        required=False,
        max_length=300,
        label="Claimant",
        # The desk's earlier claimants (annotations/_claimant_suggest.html).
        widget=forms.TextInput(attrs={"list": "claimant-options", "autocomplete": "off"}),
    )
    summary = forms.CharField(
        required=False, label="Summary", widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(required=False, label="Tags", help_text="Comma-separated.")

    def clean_tags(self) -> list[str]:
        return _tags(self.cleaned_data.get("tags") or "")


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=Action.choices)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    verdict = forms.ChoiceField(required=False, choices=[("", "Choose…"), *Verdict.choices])
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    assignee = forms.IntegerField(required=False)
    # An update's evidence changes (see _evidence_change_fields), gathered into `evidence`.
    evidence_add_url = forms.CharField(required=False, max_length=4096)
    evidence_add_stance = forms.ChoiceField(required=False, choices=Stance.choices)
    evidence_add_title = forms.CharField(required=False, max_length=500)
    evidence_archive_for = forms.UUIDField(required=False)
    evidence_archive_url = forms.CharField(required=False, max_length=4096)
    evidence_remove = forms.UUIDField(required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        changes: list[dict[str, Any]] = []
        if data.get("evidence_add_url"):
            changes.append(
                {
                    "url": data["evidence_add_url"],
                    "stance": data.get("evidence_add_stance") or Stance.SUPPORTS,
                    "title": data.get("evidence_add_title") or "",
                }
            )
        if data.get("evidence_archive_for") and data.get("evidence_archive_url"):
            changes.append(
                {"id": data["evidence_archive_for"], "archive_url": data["evidence_archive_url"]}
            )
        if data.get("evidence_remove"):
            changes.append({"id": data["evidence_remove"], "remove": True})
        data["evidence"] = changes
        return data


def transition_inputs_form(
    *,
    inputs: Sequence[Input],
    auto_id: str,
    initial: Mapping[str, Any],
    reviewers: Sequence[Any] = (),
    note_label: str = "",
    sources: Sequence[tuple[Any, str]] = (),
) -> forms.Form:
    """The fields one action's form shows: exactly `inputs` (`reviews.workflow.transition_inputs`).

    For rendering: what is posted is parsed by TransitionForm and decided by the service.
    `sources` are the claim's evidence (id, label), for an update's evidence changes.
    """
    form = forms.Form(initial=dict(initial), auto_id=auto_id, label_suffix="")
    for item in inputs:
        if item.name == "evidence":
            form.fields.update(_evidence_change_fields(sources))
            continue
        form.fields[item.name] = _input_field(item, reviewers=reviewers, note_label=note_label)
    return form


def _evidence_change_fields(sources: Sequence[tuple[Any, str]]) -> dict[str, forms.Field]:
    """An update's evidence changes in the desk: add a source, archive one, remove one
    (adding one and removing another replaces it). Parsed by TransitionForm.clean()."""
    pick = [("", "—"), *((str(pk), label) for pk, label in sources)]
    return {
        "evidence_add_url": forms.CharField(
            label="Add a source (URL)", required=False, max_length=4096
        ),
        "evidence_add_stance": forms.ChoiceField(
            label="Its stance", choices=Stance.choices, initial=Stance.SUPPORTS, required=False
        ),
        "evidence_add_title": forms.CharField(label="Its title", required=False, max_length=500),
        "evidence_archive_for": forms.ChoiceField(
            label="Set the archived copy of", choices=pick, required=False
        ),
        "evidence_archive_url": forms.CharField(
            label="Archived copy URL", required=False, max_length=4096
        ),
        "evidence_remove": forms.ChoiceField(
            label="Remove the source", choices=pick, required=False
        ),
    }


def _input_field(item: Input, *, reviewers: Sequence[Any], note_label: str) -> forms.Field:
    required = item.required
    if item.name == "verdict":
        return forms.ChoiceField(
            label="Verdict", required=required, choices=[("", "Choose…"), *Verdict.choices]
        )
    if item.name == "rationale":
        return forms.CharField(
            label="Rationale", required=required, widget=forms.Textarea(attrs={"rows": 4})
        )
    if item.name == "assignee":
        return forms.ChoiceField(
            label="Reviewer to assign",
            required=required,
            choices=[("", "Assign to…"), *((u.pk, u.get_username()) for u in reviewers)],
        )
    if item.name == "note":
        if required:
            return forms.CharField(
                label=note_label or "Why?",
                max_length=5_000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        return forms.CharField(
            label=note_label or "Note (optional)", required=False, max_length=5_000
        )
    # A new input in the workflow table needs its field here before the desk can offer it.
    raise ValueError(f"The desk has no field for the input {item.name!r}.")


class EvidenceForm(forms.Form):
    url = forms.CharField(
        max_length=4096,
        label="URL",
        widget=forms.URLInput(attrs={"placeholder": "https://…", "inputmode": "url"}),
    )
    stance = forms.ChoiceField(choices=Stance.choices, initial=Stance.SUPPORTS, label="Stance")
    title = forms.CharField(required=False, max_length=500, label="Title")
    note = forms.CharField(required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2}))
    archive_url = forms.CharField(required=False, max_length=4096, label="Archived copy URL")


class ArticleSubmitForm(forms.Form):
    """A URL alone is enough (the page is fetched, its text and metadata extracted); a body
    pasted wins over the page and then needs a title. What else is filled in wins over what
    the page says."""

    url = forms.CharField(
        required=False,
        max_length=2048,
        label="URL",
        widget=forms.URLInput(attrs={"placeholder": "https://…", "inputmode": "url"}),
    )
    title = forms.CharField(required=False, max_length=500, label="Title")
    byline = forms.CharField(required=False, max_length=300, label="Byline")
    publisher = forms.CharField(required=False, max_length=200, label="Publisher")
    published_at = forms.DateTimeField(
        required=False,
        label="Published",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    language = forms.CharField(required=False, max_length=35, label="Language")
    FORMAT_CHOICES = (("text", "Plain text"), ("html", "HTML"))
    format = forms.ChoiceField(
        choices=FORMAT_CHOICES, initial="text", widget=forms.RadioSelect, label="The body is"
    )
    body = forms.CharField(
        required=False,
        strip=False,
        label="Article body",
        widget=forms.Textarea(attrs={"rows": 14}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        body = data.get("body") or ""
        if not body.strip() and not data.get("url"):
            self.add_error("url", "Give the article's URL, or paste its text below.")
        elif body.strip() and not (data.get("title") or "").strip():
            self.add_error("title", "A pasted article needs a title.")
        return data

    # Words selected on the page when the bookmarklet sent it: marked as a claim once stored
    # (annotations.web.bookmarklet.quote_mark).
    quote = forms.CharField(
        required=False,
        max_length=1000,
        label="Claim to mark (optional)",
        help_text="Words of the article to mark as a claim once it is stored. The bookmarklet "
        "fills this with the text you selected on the page.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    # Emptiness, length and mentions are the service's to refuse (reviews.discussion).
    body = forms.CharField(
        required=False,
        strip=False,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a comment; @name mentions"}),
    )
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class NotificationReadForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    all = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id is parsed here; the service refuses those that are not the user's own.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]


class NotificationSettingsForm(forms.Form):
    email = forms.BooleanField(required=False, label="Email me my notifications")
