"""The OpenAPI schema's shared parts: error bodies, 304/429 answers, Idempotency-Key, and the
`fields`/`expand` parameters.

Every operation documents the errors the project's one exception handler produces, with the
one error shape (`Error`): validation errors name each field (`{"end": ["..."]}`, list items
by index), other errors carry `detail` and a machine `code` (`{"detail": "...", "code":
"not_found"}`), domain errors may add both plus context (`current` on a 409/412).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.generics import GenericAPIView

from factcheck.sparse import EXPAND_PARAM, FIELDS_PARAM, SparseFieldsMixin

ERROR_SCHEMA = {
    "type": "object",
    "description": "The error body of every 4xx answer. Invalid input names each field with "
    'its messages (`{"end": ["end is past the end of the text"]}`; `non_field_errors` for the '
    "input as a whole; items of a list by index). Other errors carry `detail` (a sentence) and "
    "`code` (stable, machine-readable: `not_found`, `permission_denied`, `not_authenticated`, "
    "`throttled`, `conflict`, `precondition_failed`, ...). A refused domain rule may add "
    "context, like `current` (the review as it is now) on a 409 or 412.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": True,
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
GENERIC = {
    "400": "Invalid input: the body names each field's problem.",
    "401": "No credentials, or a token that is invalid or revoked.",
    "403": "Your role does not allow this.",
    "404": "No such object (or not visible to you).",
    "406": "None of the media types in Accept can be served.",
    "409": "Conflicts with the current state, or the same Idempotency-Key is still being "
    "processed (`code: idempotency_in_progress`, retry after `Retry-After` seconds).",
    "413": "The request body is too large.",
    "415": "Unsupported Content-Type.",
    "422": "This Idempotency-Key was used with a different request "
    "(`code: idempotency_key_reused`).",
    "429": "Too many requests for this token, or too many failed token authentications "
    "from this address; retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
UNSAFE_METHODS = ("post", "put", "patch", "delete")
# Plain (non-generic) views known to hand the request to a sparse serializer.
SPARSE_PLAIN_VIEWS = frozenset({"annotations.api.views.ArticleDetailView"})


class AutoSchema(SpectacularAutoSchema):
    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if self.method != "GET":
            return params
        serializer = self._sparse_serializer()
        if serializer is None:
            return params
        names = serializer.sparse_field_names()
        params.append(
            OpenApiParameter(
                FIELDS_PARAM,
                str,
                description="Comma-separated fields to return (of each item of a list), e.g. "
                f"`{','.join(names[:2])}`. Fields: {', '.join(f'`{n}`' for n in names)}.",
            )
        )
        if serializer.expandable:
            params.append(
                OpenApiParameter(
                    EXPAND_PARAM,
                    str,
                    description="Comma-separated related data to include: "
                    f"{', '.join(f'`{n}`' for n in serializer.expandable)}.",
                )
            )
        return params

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        """Honour `required=False` on read-only fields (spectacular marks every read-only
        field required): an output field that is sometimes absent must say so."""
        result: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            for name, field in serializer.fields.items():
                prop = result.get("properties", {}).get(name)
                # The URL validator made it a "uri"; a blank URL field sends "".
                blank_url = isinstance(field, serializers.URLField) and _blank_allowed(field)
                if isinstance(prop, dict) and blank_url:
                    prop.pop("format", None)
        if "required" in result:
            optional = {
                field.field_name
                for field in serializer.fields.values()
                if field.read_only and field._kwargs.get("required") is False
            }
            required = [name for name in result["required"] if name not in optional]
            if required:
                result["required"] = required
            else:
                del result["required"]
        return result

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> Any:
        """Describe what an output field really sends: a URL field that may be blank sends
        "" (not a URI; see _map_basic_serializer), a field defaulting to None sends null."""
        result = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(result, dict):
            return result
        if direction != "response":
            return result
        if getattr(field, "default", empty) is None:
            result["nullable"] = True
        return result

    def _sparse_serializer(self) -> type[SparseFieldsMixin] | None:
        found: Any = self.get_response_serializers()
        if isinstance(found, dict):
            found = found.get(200) or found.get("200")
        cls = found if isinstance(found, type) else type(found)
        if not (isinstance(cls, type) and issubclass(cls, SparseFieldsMixin)):
            return None
        # Generic list views hand the request to their serializer; plain views opt in.
        view = type(self.view)
        if (
            isinstance(self.view, GenericAPIView)
            or f"{view.__module__}.{view.__qualname__}" in SPARSE_PLAIN_VIEWS
        ):
            return cls
        return None


def _blank_allowed(field: Any) -> bool:
    """Whether a field may hold "" (read-only model fields lose `allow_blank`: ask the model)."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:
        return False


def postprocess(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Adds the shared error answers and headers to every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    _loosen_sparse_components(schemas)
    # Views whose answer holds a secret refuse an Idempotency-Key (factcheck.idempotency).
    no_key = {
        path
        for path, _regex, _method, callback in (getattr(generator, "endpoints", None) or ())
        if not getattr(getattr(callback, "cls", None), "idempotency_key_allowed", True)
    }
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete", "head"):
                continue
            _add_errors(path, method, operation, idempotency_key=path not in no_key)
    return result


def _add_errors(
    path: str, method: str, operation: dict[str, Any], *, idempotency_key: bool = True
) -> None:
    responses = operation.setdefault("responses", {})
    public = {} in operation.get("security", [{}]) or not operation.get("security")
    wanted = ["400", "406", "429"]
    if not public or method in UNSAFE_METHODS:
        wanted += ["401", "403"]
    params = operation.get("parameters", [])
    # DRF answers an unknown ?format= with 404, as it does a missing object.
    if "{" in path or any(p.get("name") == "format" and p.get("in") == "query" for p in params):
        wanted.append("404")
    if method in UNSAFE_METHODS and method != "delete":
        wanted += ["413", "415"]
    if method == "post" and not idempotency_key:
        wanted += ["409"]
    elif method == "post":
        wanted += ["409", "422"]
        _add_parameter(
            operation,
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "Makes a retry safe: the same key with the same request replays "
                "the first answer (with `Idempotent-Replayed: true`) for 24 hours.",
            },
        )
    if method == "get":
        responses.setdefault(
            "304", {"description": "Not modified: the If-None-Match ETag is current."}
        )

    for code in wanted:
        response = responses.setdefault(code, {"description": GENERIC[code]})
        if "content" not in response:
            response["content"] = {"application/json": {"schema": ERROR_REF}}
        if code in ("409", "429"):
            response.setdefault("headers", {}).update(RETRY_AFTER)
    # Errors come in JSON, or in the flavour the client negotiated for the operation (a
    # JSON-LD endpoint renders its 404 as application/ld+json, an export as one JSON line).
    success = responses.get("200") or responses.get("201") or {}
    flavours = {"application/json"} | set(success.get("content", {}))
    for code, response in responses.items():
        if code.startswith("4") and "content" in response:
            for media in flavours:
                response["content"].setdefault(media, {"schema": ERROR_REF})
    if method == "get":
        _add_parameter(
            operation,
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": "The ETag of the representation you hold: 304 if it is current.",
            },
        )


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    params = operation.setdefault("parameters", [])
    if not any(p.get("name") == parameter["name"] and p.get("in") == "header" for p in params):
        params.append(parameter)


def _loosen_sparse_components(schemas: dict[str, Any]) -> None:
    """With ?fields= any field may be left out: sparse shapes require none."""
    todo = list(SparseFieldsMixin.__subclasses__())
    names: set[str] = set()
    while todo:
        cls = todo.pop()
        names.add(cls.__name__.removesuffix("Serializer"))
        todo.extend(cls.__subclasses__())
    for name in names:
        if name in schemas:
            schemas[name].pop("required", None)
