"""Property-based API testing with schemathesis against the schema at /api/schema/.

Every operation, as every kind of caller (anonymous, submitter, reviewer, editor, staff),
with positive and negative (schema-violating) inputs: no answer is a 5xx, and every answer
matches what the schema documents for it (status code, body). Runs in-process through the
WSGI application on the test database; bounded examples per operation keep the file under a
few minutes. `derandomize` makes CI runs reproducible.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import publish
from tests.factories import article_create, claim_create

MAX_EXAMPLES = 20
ROLES = ("anonymous", "submitter", "reviewer", "editor", "staff")
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode()


@pytest.fixture
def wsgi_in_test_transaction() -> Any:
    """As Django's test client does: the WSGI app must not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(make_user: Any, settings: Any, wsgi_in_test_transaction: None) -> dict[str, str | None]:
    """Objects worth finding and a header per role; no throttling."""
    from factcheck.tokens import token_create
    from reviews.webhooks.services import webhook_create

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL = ""
    reviewer = make_user("st-reviewer", "reviewer")
    editor = make_user("st-editor", "editor")
    editor2 = make_user("st-editor2", "editor")
    submitter = make_user("st-submitter", "submitter")
    staff = make_user("st-staff", is_staff=True, is_superuser=True)
    article = article_create(by=editor, url="https://news.example.org/st")
    claim = claim_create(article=article, by=reviewer, exact="North Korea is training")
    publish(claim, reviewer=reviewer, editor=editor2)
    claim_create(article=article, by=reviewer, exact="Rutte said Monday")
    webhook_create(owner=submitter, url="https://hooks.example.org/st", events=["claim.published"])
    headers: dict[str, str | None] = {"anonymous": None}
    for role, user in (("submitter", submitter), ("reviewer", reviewer), ("editor", editor)):
        _, key = token_create(user=user, name=f"st-{role}", role=role, by=staff)
        headers[role] = f"Token {key}"
    # A superuser's token acts as an editor (tokens never carry superuser powers).
    headers["staff"] = (
        f"Token {token_create(user=staff, name='st-staff', role='editor', by=staff)[1]}"
    )
    return headers


def _run(operation: Any, headers: dict[str, str]) -> list[str]:
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | (
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    )
    failures: list[str] = []

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        # Each call in a savepoint of the test's transaction, as each request would be in
        # its own transaction: an error the database raised does not poison the next call.
        with transaction.atomic():
            response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported together below
            failures.append(
                f"{operation.label}: {case.method} {case.formatted_path} "
                f"query={case.query} body={str(case.body)[:200]} -> {response.status_code} "
                f"{response.content[:300]!r}\n{str(exc)[:1200]}"
            )

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_every_role(role: str, world: dict[str, str | None]) -> None:
    from factcheck.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {"Authorization": world[role]} if world[role] else {}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        failures += _run(operation, headers)
    assert operations > 30
    assert not failures, f"{len(failures)} failing examples:\n\n" + "\n\n".join(failures[:20])
