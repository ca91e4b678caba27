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
    # Written behind the recording's back: the stored flags are refreshed as it would.
    from annotations.linkhealth.staleness import evidence_staleness_refresh

    evidence_staleness_refresh()
    response = client.get(reverse("admin:annotations_claim_changelist") + "?stale=yes")
    assert response.status_code == 200
    assert "600,000" in response.content.decode()


def test_recheck_action_queues_links(
    client, seeded, django_capture_on_commit_callbacks, queued_tasks
):
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    # Demo editors are not staff; an editor an administrator let into /admin/ may recheck.
    editor = get_user_model().objects.get(username="demo-editor")
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    client.force_login(editor)
    ids = list(Link.objects.order_by("pk").values_list("pk", flat=True)[:2])
    Link.objects.update(next_check_at=timezone.now() + timedelta(days=1))
    asked = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:annotations_link_changelist"),
            {"action": "recheck_now", "_selected_action": ids},
        )
    assert response.status_code == 302
    # The chosen links are due now and a check of each is on the broker's queue; no other.
    due = Link.objects.filter(next_check_at__lte=timezone.now()).order_by("pk")
    assert list(due.values_list("pk", flat=True)) == ids
    assert all(asked <= at for at in due.values_list("next_check_at", flat=True))
    sent = queued_tasks()
    assert {name for name, _ in sent} == {"annotations.linkhealth.tasks.check_link"}
    assert sorted(args[0] for _, args in sent) == ids


def test_demo_editor_is_not_let_into_the_admin(client, seeded):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="demo-editor"))
    response = client.get(reverse("admin:annotations_claim_changelist"))
    assert response.status_code == 302


def test_reviewer_without_staff_cannot_use_admin(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("admin:annotations_claim_changelist"))
    assert response.status_code == 302
