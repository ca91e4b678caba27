import pytest

from annotations.models import Claim
from reviews.models import Review

pytestmark = pytest.mark.django_db


def mark(client, article, **body):
    return client.post(f"/api/v1/articles/{article.pk}/claims/", body, format="json")


def test_reviewer_marks_a_claim_by_offsets(client_for, reviewer, article):
    start = article.text.index("600,000")
    end = start + len("600,000 Russian soldiers")
    response = mark(client_for(reviewer), article, start=start, end=end, claimant="Rutte")
    assert response.status_code == 201, response.data
    assert response.data["exact"] == "600,000 Russian soldiers"
    assert response.data["start"] == start and response.data["end"] == end
    assert response.data["prefix"].endswith("more than ")
    assert response.data["review"]["state"] == "unassigned"
    assert Review.objects.filter(claim_id=response.data["id"]).exists()


def test_reviewer_marks_a_claim_by_quote(client_for, reviewer, article):
    response = mark(client_for(reviewer), article, exact="North Korea is training 10,000 soldiers")
    assert response.status_code == 201, response.data
    assert article.text[response.data["start"] : response.data["end"]] == response.data["exact"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": 5, "end": 2}, "start"),
        ({"start": 0, "end": 10_000}, "end"),
        ({"start": -1, "end": 3}, "start"),
        ({"start": 0, "end": 4, "exact": "nope"}, "exact"),
        ({"exact": "not in the text at all"}, "exact"),
        ({"exact": ""}, "exact"),
        ({}, "non_field_errors"),
        ({"start": "a", "end": 3}, "start"),
        ({"start": 0, "end": 4, "bogus": 1}, "bogus"),
    ],
)
def test_bad_offsets_are_a_400_and_store_nothing(client_for, reviewer, article, body, field):
    response = mark(client_for(reviewer), article, **body)
    assert response.status_code == 400, response.data
    assert field in response.data, response.data
    assert Claim.objects.count() == 0
    assert Review.objects.count() == 0


def test_disagreeing_offsets_say_what_the_text_is(client_for, reviewer, article):
    response = mark(client_for(reviewer), article, start=0, end=4, exact="Rutt")
    assert response.status_code == 400
    assert "NATO" in str(response.data["exact"])


def test_duplicate_claim_is_a_409(client_for, reviewer, claim):
    response = mark(client_for(reviewer), claim.article, start=claim.start, end=claim.end)
    assert response.status_code == 409
    assert Claim.objects.count() == 1


def test_overlapping_and_nested_claims_are_allowed(client_for, reviewer, claim):
    client = client_for(reviewer)
    nested = mark(client, claim.article, start=claim.start, end=claim.start + 11)
    overlapping = mark(client, claim.article, start=claim.start + 5, end=claim.end + 5)
    assert nested.status_code == 201 and overlapping.status_code == 201


def test_submitter_may_not_mark_claims(client_for, submitter, article):
    response = mark(client_for(submitter), article, start=0, end=4)
    assert response.status_code == 403
    assert Claim.objects.count() == 0


def test_claim_update_and_delete_follow_object_rules(
    client_for, reviewer, reviewer2, editor, claim
):
    etag = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/")["ETag"]
    other = client_for(reviewer2).patch(
        f"/api/v1/claims/{claim.pk}/", {"summary": "hijack"}, format="json", HTTP_IF_MATCH=etag
    )
    assert other.status_code == 403
    own = client_for(reviewer).patch(
        f"/api/v1/claims/{claim.pk}/",
        {"summary": "Training numbers", "tags": ["Troops"]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert own.status_code == 200
    assert own.data["summary"] == "Training numbers"
    assert own.data["tags"] == ["troops"]
    assert client_for(reviewer2).delete(f"/api/v1/claims/{claim.pk}/").status_code == 403
    assert client_for(editor).delete(f"/api/v1/claims/{claim.pk}/").status_code == 204
    assert not Claim.objects.exists()


def test_claim_list_filters_by_state_and_assignee(client_for, reviewer, editor, claim, article):
    from tests.factories import claim_create

    claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    client = client_for(reviewer)
    review = client.get(f"/api/v1/claims/{claim.pk}/review/")
    client.post(
        f"/api/v1/claims/{claim.pk}/review/transitions/",
        {"action": "take"},
        format="json",
        HTTP_IF_MATCH=review["ETag"],
    )
    mine = client.get("/api/v1/claims/?assignee=me")
    assert [c["id"] for c in mine.data["results"]] == [str(claim.pk)]
    unassigned = client.get("/api/v1/claims/?state=unassigned")
    assert len(unassigned.data["results"]) == 1
    assert client.get("/api/v1/claims/?state=bogus").status_code == 400


def test_claim_list_query_count_is_constant(
    client_for, reviewer, article, django_assert_max_num_queries
):
    import re

    from annotations.services.claims import claim_create as create
    from annotations.services.evidence import evidence_attach

    for i, word in enumerate(list(re.finditer(r"\S+", article.text))[:12]):
        c = create(article=article, by=reviewer, start=word.start(), end=word.end())
        evidence_attach(claim=c, by=reviewer, url=f"https://example.org/{i}", stance="supports")
    client = client_for(reviewer)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/claims/")
    assert len(response.data["results"]) == 12
