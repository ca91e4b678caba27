"""The admin's history pages, readable for audits.

simple_history's change list shows a foreign key that was empty before a change (an
assignee set for the first time, an approver) as "Deleted user (pk=None)", and a change
made by no signed-in user as "None". Here an empty value is "—", and a change without a
user names the system (the link checker, re-anchoring of a new article revision).
"""

from __future__ import annotations

from typing import Any

from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

EMPTY = "—"


class AuditRecordContextHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        if isinstance(value, DeletedObject) and value.pk is None:
            return EMPTY
        if value is None:
            return EMPTY
        return super().prepare_delta_change_value(change, value)


class AuditHistoryAdmin(SimpleHistoryAdmin):
    object_history_list_template = "admin/audit_history_list.html"

    def get_historical_record_context_helper(
        self, request: Any, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return AuditRecordContextHelper(self.model, historical_record)
