"""OrderSync's audit log (`:audit os`): the plain list, whose detail shows what a row changed, field by field."""

from __future__ import annotations

from typing import ClassVar

from rcmd_tui.screens.audit_detail import AuditDetail
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.list_screen import ListScreen


class OrderSyncAuditScreen(ListScreen):
    DETAIL: ClassVar[type[DetailScreen]] = AuditDetail
