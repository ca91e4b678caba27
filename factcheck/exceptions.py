"""One DRF exception handler: domain errors and model validation errors become 4xx bodies."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from factcheck.errors import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_body(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than {limit:,} bytes.", "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            body: Any = exc.message_dict
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        # The database refused a value that passed validation (a date whose UTC offset or
        # year it cannot store, a number out of its range): the input's fault, not a 500.
        logger.warning("database refused a request value", exc_info=exc)
        if connection.in_atomic_block:
            transaction.set_rollback(True)
        return Response(
            {
                "detail": "A value in this request is out of the range the database can store.",
                "code": "invalid",
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, IntegrityError):
        # A race that a service's own checks could not see (two identical requests at once):
        # the constraint held, the transaction rolled back; tell the client it conflicted.
        return Response(
            {
                "detail": "This conflicts with existing data; nothing was stored.",
                "code": "conflict",
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotFound) and exc.detail == CursorPagination.invalid_cursor_message:
        # A cursor is input like any other: a bad one is a 400 naming it, not a 404.
        return Response(
            {"cursor": ["Invalid cursor: use the `next`/`previous` links as given."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A ValidationError raised with a bare list (e.g. by a filter backend): the body is
        # still an object, the messages under non_field_errors.
        response.data = {"non_field_errors": response.data}
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        # One error shape (factcheck.schema): `detail` comes with a machine-readable `code`.
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        if isinstance(exc, Http404):
            codes = "not_found"
        response.data.setdefault("code", codes if isinstance(codes, str) else "error")
    return response
