from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

DEMO_USERS = (
    # username, role, is_superuser
    ("demo-reviewer", "reviewer", False),
    ("demo-editor", "editor", False),
    ("demo-editor2", "editor", False),
    ("demo-submitter", "submitter", False),
    ("demo-admin", None, True),
)


class Command(BaseCommand):
    help = "Create the demo users (one per role) and print their credentials. Never in production."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--password", default="factcheck-demo", help="Password for all of them."
        )

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        user_model = get_user_model()
        for username, role, superuser in DEMO_USERS:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            # Only the admin may use /admin/ (and manage other users' tokens); the others
            # work through the desk and the API with their role alone.
            user.is_staff = superuser
            user.is_superuser = superuser
            user.set_password(password)
            user.save()
            if role:
                user.groups.add(Group.objects.get(name=role))
            self.stdout.write(f"  {username:15} {role or 'admin':10} password: {password}")
