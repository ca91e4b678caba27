import pytest

from annotations.models import Evidence, Link

pytestmark = pytest.mark.django_db


def add(client, claim, **body):
    return client.post(f"/api/v1/claims/{claim.pk}/evidence/", body, format="json")


def test_evidence_shares_one_link_per_url_and_enqueues_its_first_check_after_commit(
    client_for, reviewer, editor, claim, django_capture_on_commit_callbacks, monkeypatch
):
    from annotations import tasks as annotation_tasks
    from annotations.linkhealth import tasks

    sent = []
    archived = []
    captured = []
    monkeypatch.setattr(tasks.check_link, "delay", lambda link_id: sent.append(link_id))
    monkeypatch.setattr(tasks.evidence_find_archive, "delay", lambda ev_id: archived.append(ev_id))
    monkeypatch.setattr(
        annotation_tasks.capture_evidence, "delay", lambda ev_id: captured.append(ev_id)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = add(
            client_for(reviewer),
            claim,
            url="https://Example.org/report?utm_source=x",
            stance="supports",
        )
        # Nothing is enqueued before the transaction commits.
        assert sent == [] and archived == [] and captured == []
    assert response.status_code == 201, response.data
    assert response.data["link"]["url"] == "https://example.org/report"
    assert response.data["link"]["health"] == "unchecked"
    assert len(callbacks) == 3
    assert sent == [response.data["link"]["id"]]
    # No archive URL was given: the archive is asked for a copy of the page.
    assert archived == [response.data["id"]]
    # And the desk keeps its own copy of the page as cited (annotations.snapshots).
    assert captured == [response.data["id"]]
    assert Link.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "file:///etc/passwd", "stance": "supports"}, "url"),
        ({"url": "javascript:alert(1)", "stance": "supports"}, "url"),
        ({"url": "https://example.org/x", "stance": "maybe"}, "stance"),
        ({"url": "https://example.org/x"}, "stance"),
        ({"url": "https://exa mple.org/\r\nx", "stance": "refutes"}, "url"),
        (
            {"url": "https://example.org/x", "stance": "context", "archive_url": "gopher://x"},
            "archive_url",
        ),
    ],
)
def test_bad_evidence_is_a_400(client_for, reviewer, claim, body, field):
    response = add(client_for(reviewer), claim, **body)
    assert response.status_code == 400, response.data
    assert field in response.data
    assert not Evidence.objects.exists()
    assert not Link.objects.exists()


def test_long_url_is_kept_whole(client_for, reviewer, claim):
    url = "https://example.org/" + "a" * 2500
    response = add(client_for(reviewer), claim, url=url, stance="context")
    assert response.status_code == 201
    assert response.data["link"]["url"] == url


def test_same_link_twice_on_a_claim_is_a_409(client_for, reviewer, claim):
    client = client_for(reviewer)
    assert add(client, claim, url="https://example.org/x", stance="supports").status_code == 201
    again = add(client, claim, url="https://example.org/x#frag", stance="refutes")
    assert again.status_code == 409
    assert Evidence.objects.count() == 1


def test_only_the_adder_or_an_editor_removes_evidence(
    client_for, reviewer, reviewer2, editor, claim
):
    created = add(client_for(reviewer), claim, url="https://example.org/x", stance="supports")
    url = f"/api/v1/evidence/{created.data['id']}/"
    assert client_for(reviewer2).delete(url).status_code == 403
    assert client_for(editor).delete(url).status_code == 204
    assert not Evidence.objects.exists()


def test_links_list_and_recheck(
    client_for, reviewer, submitter, claim, queued_tasks, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    add(client_for(reviewer), claim, url="https://example.org/x", stance="supports")
    link = Link.objects.get()
    listed = client_for(submitter).get("/api/v1/links/?health=unchecked")
    assert [item["id"] for item in listed.data["results"]] == [link.pk]
    later = timezone.now() + timedelta(days=1)
    Link.objects.filter(pk=link.pk).update(next_check_at=later)

    with django_capture_on_commit_callbacks(execute=True):
        refused = client_for(submitter).post(f"/api/v1/links/{link.pk}/recheck/")
    assert refused.status_code == 403
    link.refresh_from_db()
    assert link.next_check_at == later
    assert queued_tasks() == []

    with django_capture_on_commit_callbacks(execute=True):
        asked = timezone.now()
        accepted = client_for(reviewer).post(f"/api/v1/links/{link.pk}/recheck/")
    assert accepted.status_code == 202
    # Due now, and a check of exactly this link is on the broker's queue.
    link.refresh_from_db()
    assert asked <= link.next_check_at <= timezone.now()
    assert queued_tasks() == [("annotations.linkhealth.tasks.check_link", [link.pk])]

    assert client_for(reviewer).post("/api/v1/links/999999/recheck/").status_code == 404
    assert client_for(reviewer).get("/api/v1/links/?health=nonsense").status_code == 400
