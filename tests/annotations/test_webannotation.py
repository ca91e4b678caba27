"""Claims exported as W3C Web Annotations, checked against the model's MUST-level rules."""

import json
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from annotations import webannotation
from reviews.models import Review
from tests.factories import ARTICLE_TEXT, article_create, claim_create

pytestmark = pytest.mark.django_db

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
XSD_DATETIME_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


# --- The Web Annotation Data Model's MUSTs (https://www.w3.org/TR/annotation-model/) --------


def is_iri(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme and (parts.netloc or parts.scheme == "urn"))


def types_of(obj) -> list:
    value = obj.get("type")
    return value if isinstance(value, list) else [value]


def check_context(obj) -> None:
    context = obj["@context"]
    # One context: a string; several: a list that includes the anno context.
    assert context == CONTEXT or (isinstance(context, list) and CONTEXT in context)


def check_datetime(obj, key) -> None:
    if key in obj:
        assert isinstance(obj[key], str) and XSD_DATETIME_UTC.match(obj[key]), obj[key]
        datetime.fromisoformat(obj[key].replace("Z", "+00:00"))


def check_agent(agent) -> None:
    if isinstance(agent, str):
        assert is_iri(agent)
        return
    if "id" in agent:
        assert is_iri(agent["id"])
    for key in ("name", "nickname"):
        if key in agent:
            assert isinstance(agent[key], str)


def check_body(body) -> None:
    if isinstance(body, str):
        assert is_iri(body)
        return
    if "TextualBody" in types_of(body):
        assert isinstance(body["value"], str)  # exactly one value
    else:
        assert "SpecificResource" in types_of(body) or "id" in body
    if "SpecificResource" in types_of(body):
        assert is_iri(body["source"])
    if "id" in body:
        assert is_iri(body["id"])
    if "purpose" in body:
        assert body["purpose"] in MOTIVATIONS


MOTIVATIONS = {
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing",
    "highlighting", "identifying", "linking", "moderating", "questioning", "replying", "tagging",
}  # fmt: skip


def check_selector(selector) -> None:
    kind = selector["type"]
    if kind == "TextQuoteSelector":
        assert isinstance(selector["exact"], str) and selector["exact"]
        for key in ("prefix", "suffix"):
            if key in selector:
                assert isinstance(selector[key], str)
    elif kind == "TextPositionSelector":
        for key in ("start", "end"):
            assert isinstance(selector[key], int) and not isinstance(selector[key], bool)
            assert selector[key] >= 0
        assert selector["start"] <= selector["end"]
    else:
        raise AssertionError(f"unexpected selector {kind}")


def check_target(target) -> None:
    if isinstance(target, str):
        assert is_iri(target)
        return
    assert is_iri(target["source"])  # exactly one source, an IRI
    selectors = target.get("selector", [])
    for selector in selectors if isinstance(selectors, list) else [selectors]:
        check_selector(selector)
    if "state" in target:
        assert target["state"]["type"] == "TimeState"
        assert XSD_DATETIME_UTC.match(target["state"]["sourceDate"])


def check_annotation(annotation, *, embedded: bool = False) -> None:
    if not embedded:
        check_context(annotation)
    assert is_iri(annotation["id"])
    assert "Annotation" in types_of(annotation)
    targets = annotation["target"]
    assert targets  # one or more targets
    for target in targets if isinstance(targets, list) else [targets]:
        check_target(target)
    bodies = annotation.get("body", [])
    for body in bodies if isinstance(bodies, list) else [bodies]:
        check_body(body)
    motivation = annotation.get("motivation", [])
    for m in motivation if isinstance(motivation, list) else [motivation]:
        assert m in MOTIVATIONS
    for key in ("created", "modified", "generated"):
        check_datetime(annotation, key)
    for key in ("creator", "generator"):
        if key in annotation:
            check_agent(annotation[key])


def check_page(page, *, embedded: bool) -> None:
    if not embedded:
        check_context(page)
    assert is_iri(page["id"])
    assert "AnnotationPage" in types_of(page)
    assert isinstance(page["items"], list)  # exactly one items, an ordered list
    for item in page["items"]:
        check_annotation(item, embedded=True)
    for key in ("next", "prev"):
        if key in page:
            assert is_iri(page[key])
    if "startIndex" in page:
        assert isinstance(page["startIndex"], int) and page["startIndex"] >= 0
    part_of = page.get("partOf")
    if isinstance(part_of, dict):
        assert is_iri(part_of["id"]) and "AnnotationCollection" in types_of(part_of)
    elif part_of is not None:
        assert is_iri(part_of)


def check_collection(collection) -> None:
    check_context(collection)
    assert is_iri(collection["id"])
    assert "AnnotationCollection" in types_of(collection)
    assert isinstance(collection["total"], int) and collection["total"] >= 0
    if collection["total"]:
        first = collection["first"]
        if isinstance(first, dict):
            check_page(first, embedded=True)
        else:
            assert is_iri(first)
        assert is_iri(collection["last"])


# --- Single claims -------------------------------------------------------------------------------


def get_annotation(client, claim, **headers):
    return client.get(f"/api/v1/claims/{claim.pk}/annotation/", **headers)


def test_claim_is_a_web_annotation(client_for, reviewer, claim):
    response = get_annotation(client_for(reviewer), claim)
    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    annotation = json.loads(response.content)
    check_annotation(annotation)
    assert annotation["id"] == f"http://testserver/api/v1/claims/{claim.pk}/annotation/"
    assert annotation["type"] == "Annotation"
    assert annotation["motivation"] == "highlighting"  # no verdict yet
    assert annotation["creator"] == {"type": "Person", "nickname": "rita"}
    target = annotation["target"]
    assert target["source"] == "https://news.example.org/2024/kursk"
    quote, position = target["selector"]
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": claim.exact,
        "prefix": claim.prefix,
        "suffix": claim.suffix,
    }
    assert position == {"type": "TextPositionSelector", "start": claim.start, "end": claim.end}
    assert ARTICLE_TEXT[position["start"] : position["end"]] == quote["exact"]
    assert target["state"]["sourceDate"] == claim.revision.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_verdict_and_rationale_are_assessing_bodies(client_for, reviewer, claim):
    Review.objects.filter(claim=claim).update(
        verdict="mostly_false", rationale="The figure was 3,000 at the time."
    )
    claim.summary = "North Korea trains 10,000 soldiers for Russia."
    claim.tags = ["military"]
    claim.save()
    annotation = json.loads(get_annotation(client_for(reviewer), claim).content)
    check_annotation(annotation)
    assert annotation["motivation"] == "assessing"
    assessing = [b for b in annotation["body"] if b["purpose"] == "assessing"]
    assert assessing == [
        {
            "type": "TextualBody",
            "purpose": "assessing",
            "value": "Mostly false",
            "format": "text/plain",
            "language": "en",
        },
        {
            "type": "TextualBody",
            "purpose": "assessing",
            "value": "The figure was 3,000 at the time.",
            "format": "text/plain",
        },
    ]
    purposes = [b["purpose"] for b in annotation["body"]]
    assert purposes == ["assessing", "assessing", "describing", "tagging"]
    assert annotation["modified"] >= annotation["created"]


def test_evidence_links_are_linking_bodies(client_for, reviewer, claim, monkeypatch):
    from annotations.services import evidence

    monkeypatch.setattr(evidence, "link_schedule_check", lambda **kwargs: None)
    evidence.evidence_attach(
        claim=claim, by=reviewer, url="https://example.org/report", stance="refutes"
    )
    annotation = json.loads(get_annotation(client_for(reviewer), claim).content)
    check_annotation(annotation)
    assert {"type": "SpecificResource", "purpose": "linking", "source": "https://example.org/report"} in annotation["body"]  # fmt: skip


def test_json_is_served_on_request(client_for, reviewer, claim):
    client = client_for(reviewer)
    as_json = get_annotation(client, claim, HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"] == "application/json"
    check_annotation(as_json.json())
    for accept in ("application/ld+json", MEDIA_TYPE, "*/*", "text/html,*/*;q=0.8"):
        response = get_annotation(client, claim, HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == MEDIA_TYPE, accept
    assert get_annotation(client, claim, HTTP_ACCEPT="text/csv").status_code == 406


def test_annotation_of_an_article_without_url_targets_its_api_iri(client_for, reviewer, editor):
    article = article_create(by=editor)
    claim = claim_create(article=article, by=reviewer, exact="Kursk region")
    annotation = json.loads(get_annotation(client_for(reviewer), claim).content)
    check_annotation(annotation)
    assert annotation["target"]["source"] == f"http://testserver/api/v1/articles/{article.pk}/"


def test_orphaned_claim_points_into_its_last_revision(client_for, submitter, reviewer, claim):
    short = ARTICLE_TEXT[: ARTICLE_TEXT.index("\n\nZelensky")]
    client_for(submitter).post(
        "/api/v1/articles/", {"url": claim.article.url, "title": "T", "text": short}, format="json"
    )
    claim.refresh_from_db()
    assert claim.anchor_state == "orphaned"
    annotation = json.loads(get_annotation(client_for(reviewer), claim).content)
    check_annotation(annotation)
    position = annotation["target"]["selector"][1]
    first = claim.article.revisions.get(number=1)
    assert first.text[position["start"] : position["end"]] == claim.exact
    assert annotation["target"]["state"]["sourceDate"] == first.created_at.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_annotation_needs_a_role_and_an_existing_claim(client_for, outsider, reviewer, claim):
    assert get_annotation(client_for(outsider), claim).status_code == 403
    assert get_annotation(client_for(None), claim).status_code == 401
    missing = client_for(reviewer).get(
        "/api/v1/claims/00000000-0000-0000-0000-000000000000/annotation/"
    )
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/")


# --- Collections -------------------------------------------------------------------------------


def get_collection(client, article, query=""):
    return client.get(f"/api/v1/articles/{article.pk}/annotations/{query}")


def test_article_without_claims_is_an_empty_collection(client_for, reviewer, article):
    response = get_collection(client_for(reviewer), article)
    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    collection = json.loads(response.content)
    check_collection(collection)
    assert collection["total"] == 0
    assert "first" not in collection


def test_article_claims_are_an_annotation_collection(client_for, reviewer, article):
    quotes = ["North Korea is training", "Kursk region", "600,000 Russian soldiers"]
    claims = [claim_create(article=article, by=reviewer, exact=q) for q in quotes]
    collection = json.loads(get_collection(client_for(reviewer), article).content)
    check_collection(collection)
    iri = f"http://testserver/api/v1/articles/{article.pk}/annotations/"
    assert collection["id"] == iri
    assert collection["total"] == 3
    first = collection["first"]
    assert first["id"] == f"{iri}?page=0" == collection["last"]
    assert first["partOf"] == iri and first["startIndex"] == 0
    assert "next" not in first and "prev" not in first
    # In text order.
    ordered = sorted(claims, key=lambda c: c.start)
    assert [a["id"] for a in first["items"]] == [
        f"http://testserver/api/v1/claims/{c.pk}/annotation/" for c in ordered
    ]
    assert all("@context" not in a for a in first["items"])


def test_collection_pages(client_for, reviewer, article, monkeypatch):
    monkeypatch.setattr(webannotation, "PAGE_SIZE", 2)
    words = ["NATO", "Mark Rutte", "Kursk", "600,000", "Zelensky"]
    for word in words:
        claim_create(article=article, by=reviewer, exact=word)
    client = client_for(reviewer)
    iri = f"http://testserver/api/v1/articles/{article.pk}/annotations/"
    collection = json.loads(get_collection(client, article).content)
    check_collection(collection)
    assert collection["total"] == 5
    assert collection["last"] == f"{iri}?page=2"
    assert collection["first"]["next"] == f"{iri}?page=1"
    seen = []
    url = collection["first"]["next"]
    seen += [a["target"]["selector"][0]["exact"] for a in collection["first"]["items"]]
    while url:
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == MEDIA_TYPE
        page = json.loads(response.content)
        check_page(page, embedded=False)
        assert page["id"] == url
        assert page["partOf"]["id"] == iri and page["partOf"]["total"] == 5
        assert page["prev"].startswith(iri)
        seen += [a["target"]["selector"][0]["exact"] for a in page["items"]]
        url = page.get("next")
    assert seen == words  # every claim once, in text order
    assert page["startIndex"] == 4


@pytest.mark.parametrize(
    ("query", "status"), [("?page=3", 404), ("?page=-1", 400), ("?page=x", 400)]
)
def test_bad_collection_pages(client_for, reviewer, claim, query, status):
    response = get_collection(client_for(reviewer), claim.article, query)
    assert response.status_code == status
    assert get_collection(client_for(reviewer), claim.article, "?page=0").status_code == 200


def test_collection_query_count_does_not_grow(
    client_for, reviewer, article, django_assert_max_num_queries
):
    client = client_for(reviewer)
    counts = []
    for word in ("NATO", "Kursk", "Secretary", "Zelensky", "600,000", "Monday"):
        claim_create(article=article, by=reviewer, exact=word)
        with django_assert_max_num_queries(12) as queries:
            assert get_collection(client, article).status_code == 200
        counts.append(len(queries.captured_queries))
    assert len(set(counts)) == 1, counts


def test_openapi_schema_lists_the_annotation_endpoints(client_for, reviewer):
    response = client_for(reviewer).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert "/api/v1/claims/{id}/annotation/" in paths
    assert "/api/v1/articles/{id}/annotations/" in paths
