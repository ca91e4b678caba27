"""`?fields=` and `?expand=` for output serializers: clients ask for the payload they need.

`?fields=id,title` keeps only those fields of each object (of each item of a list); an unknown
name is a 400 naming the fields there are. `?expand=claims` adds a field that is left out by
default (declared in `expandable`); it is loaded for the whole page at once by the list
serializer, never per row.

Applies to the outermost serializer of a response only (the objects of a list), never to
nested ones, and only when the serializer has the request in its context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

FIELDS_PARAM = "fields"
EXPAND_PARAM = "expand"
MAX_NAMES = 100


def query_names(request: Any, param: str) -> list[str]:
    """The comma-separated names of a query parameter (repeating it works too), in order."""
    names: list[str] = []
    for value in request.query_params.getlist(param):
        for name in str(value).split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    if len(names) > MAX_NAMES:
        raise serializers.ValidationError({param: [f"At most {MAX_NAMES} names."]})
    return names


class SparseFieldsMixin:
    """Mix into a ModelSerializer/Serializer used as a response's outermost shape."""

    # Fields sent only when named in ?expand=: name -> a factory of the field. The schema
    # (built without a request) shows them.
    expandable: dict[str, Callable[[], serializers.Field]] = {}
    _SPARSE_MARK = "_sparse_fields_applied"

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()  # type: ignore[misc]
        context: dict[str, Any] = self.context  # type: ignore[attr-defined]
        request = context.get("request")
        if request is None:
            return {**fields, **{name: make() for name, make in self.expandable.items()}}
        if context.get(self._SPARSE_MARK) or not self._outermost():
            return fields
        context[self._SPARSE_MARK] = True  # serializers built later for nested data: skip
        expand = query_names(request, EXPAND_PARAM)
        unknown = [name for name in expand if name not in self.expandable]
        if unknown:
            offered = ", ".join(self.expandable) or "nothing"
            raise serializers.ValidationError(
                {EXPAND_PARAM: [f"Cannot expand {', '.join(unknown)}. Expandable: {offered}."]}
            )
        for name in expand:
            fields[name] = self.expandable[name]()
        wanted = query_names(request, FIELDS_PARAM)
        if wanted:
            unknown = [name for name in wanted if name not in fields]
            if unknown:
                raise serializers.ValidationError(
                    {
                        FIELDS_PARAM: [
                            f"Unknown field(s): {', '.join(unknown)}. Fields: {', '.join(fields)}."
                        ]
                    }
                )
            fields = {name: fields[name] for name in fields if name in wanted}
        return fields

    def _outermost(self) -> bool:
        parent = getattr(self, "parent", None)
        if parent is None:
            return True
        return isinstance(parent, serializers.ListSerializer) and parent.parent is None

    @classmethod
    def sparse_field_names(cls) -> list[str]:
        """Every field a client may name in ?fields= (for the schema's description)."""
        declared = list(getattr(getattr(cls, "Meta", None), "fields", ()) or ())
        return declared + [name for name in cls.expandable if name not in declared]
