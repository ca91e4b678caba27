from typing import Any

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError) as exc:
            # A cursor of another list (or of another ordering) carries a position of another
            # type: the same 400 as a cursor that does not decode (factcheck.exceptions).
            if request.query_params.get(self.cursor_query_param):
                raise NotFound(self.invalid_cursor_message) from exc
            raise
