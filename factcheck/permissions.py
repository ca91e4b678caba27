from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from factcheck.roles import user_roles


class HasRole(BasePermission):
    """Any signed-in user holding one of the project's roles may use the API.

    Views narrow this with `write_roles` (who may use unsafe methods); object-level rules live
    in the services and selectors, which raise `Forbidden`/`NotFound`.
    """

    message = "You need the reviewer, editor or submitter role."

    def has_permission(self, request: Any, view: Any) -> bool:
        roles = user_roles(request.user)
        if not roles:
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        write_roles = getattr(view, "write_roles", None)
        if write_roles is None:
            return True
        if not roles & set(write_roles):
            self.message = f"This needs one of the roles: {', '.join(sorted(write_roles))}."
            return False
        return True
