"""Create a role-scoped API token from the command line: `manage.py create_token USERNAME
[--role editor|reviewer|submitter] [--name NAME]`.

Prints the key alone on stdout, once (only its hash is stored), so a script can capture it:
`KEY=$(manage.py create_token demo-reviewer)`. What was made goes to stderr. Without
`--role` the token gets the widest role the user holds.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from factcheck.errors import DomainError
from factcheck.models import ApiToken
from factcheck.roles import user_roles
from factcheck.tokens import strongest_role, token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            choices=[role for role, _ in ApiToken.ROLE_CHOICES],
            help="The token's role (default: the widest role the user holds).",
        )
        parser.add_argument("--name", default="cli", help="Which client uses it (default: cli).")

    def handle(
        self, *args: Any, username: str, role: str | None, name: str, **options: Any
    ) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        role = role or strongest_role(user_roles(user))
        if role is None:
            raise CommandError(f"{username} holds no role (reviewer, editor or submitter).")
        try:
            token, key = token_create(user=user, name=name, role=role, by=None)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stderr.write(f"Token {token.pk} for {username}, role {role}, name {token.name!r}:")
        self.stdout.write(key)
