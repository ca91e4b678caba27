import io

import pytest
from django.urls import reverse

from annotations.models import Link

pytestmark = pytest.mark.django_db

MODELS = [
    ("annotations", "article"),
    ("annotations", "articlerevision"),
    ("annotations", "claim"),
    ("annotations", "evidence"),
    ("annotations", "link"),
    ("annotations", "linkcheck"),
    ("reviews", "review"),
    ("reviews", "correction"),
]


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    from django.core.management import call_command

    call_command("create_demo_users", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=False):
        call_command("load_seeds", stdout=io.StringIO())


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_admin_lists_and_change_pages_load(client, seeded, app, model):
    from django.apps import apps
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="demo-admin"))
    listing = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert listing.status_code == 200
    obj = apps.get_model(app, model).objects.first()
    if obj is not None:
        page = client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
        assert page.status_code == 200


def test_claim_admin_stale_filter(client, seeded):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="demo-admin"))
    Link.objects.update(health="dead")
    response = client.get(reverse("admin:annotations_claim_changelist") + "?stale=yes")
    assert response.status_code == 200
    assert "600,000" in response.content.decode()


def test_recheck_action_queues_links(
    client, seeded, django_capture_on_commit_callbacks, monkeypatch
):
    from django.contrib.auth import get_user_model

    from annotations.linkhealth import tasks

    sent = []
    monkeypatch.setattr(tasks.check_link, "delay", lambda link_id: sent.append(link_id))
    # Demo editors are not staff; an editor an administrator let into /admin/ may recheck.
    editor = get_user_model().objects.get(username="demo-editor")
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    client.force_login(editor)
    ids = list(Link.objects.values_list("pk", flat=True)[:2])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:annotations_link_changelist"),
            {"action": "recheck_now", "_selected_action": ids},
        )
    assert response.status_code == 302
    assert sorted(sent) == sorted(ids)


def test_demo_editor_is_not_let_into_the_admin(client, seeded):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="demo-editor"))
    response = client.get(reverse("admin:annotations_claim_changelist"))
    assert response.status_code == 302


def test_reviewer_without_staff_cannot_use_admin(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("admin:annotations_claim_changelist"))
    assert response.status_code == 302
