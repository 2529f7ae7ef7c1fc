"""Who does something (staff, autoapprove, the mini-program, the system) and what each role may do.

Permissions are checked in the services; the console only hides what a role cannot do.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from services.domain import Role
from services.errors import PermissionDenied

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "booking.decide": frozenset({Role.CLERK, Role.HEAD, Role.ADMIN}),
    "booking.checkin": frozenset({Role.CLERK, Role.HEAD, Role.ADMIN}),
    "booking.cancel": frozenset({Role.CLERK, Role.HEAD, Role.ADMIN}),
    "booking.walkin": frozenset({Role.CLERK, Role.HEAD, Role.ADMIN}),
    # approve a request past a booking rule (window, blacklist, one a day, cut-off), with a reason
    "booking.override": frozenset({Role.HEAD, Role.ADMIN}),
    # undo a check-in or a no-show after the clinic day (on the day itself booking.checkin suffices)
    "booking.correct": frozenset({Role.HEAD, Role.ADMIN}),
    "patient.register": frozenset({Role.CLERK, Role.HEAD, Role.ADMIN}),
    "export.daily": frozenset({Role.CLERK, Role.HEAD, Role.ADMIN}),
    "export.unmasked": frozenset({Role.HEAD, Role.ADMIN}),
    "roster.edit": frozenset({Role.HEAD, Role.ADMIN}),
    "roster.publish": frozenset({Role.HEAD, Role.ADMIN}),
    "roster.import": frozenset({Role.HEAD, Role.ADMIN}),
    "export.roster": frozenset({Role.HEAD, Role.ADMIN}),
    "session.stop": frozenset({Role.HEAD, Role.ADMIN}),
    "session.substitute": frozenset({Role.HEAD, Role.ADMIN}),
    # 加号: add places to a slot or session (clerks too when the hospital's rule clerks_add_places is on)
    "session.extra": frozenset({Role.HEAD, Role.ADMIN}),
    "masterdata.edit": frozenset({Role.ADMIN}),
    "staff.manage": frozenset({Role.ADMIN}),
    "rules.edit": frozenset({Role.ADMIN}),
    "holidays.edit": frozenset({Role.ADMIN}),  # the hospital's own holiday exceptions (hospital_days)
    "wechat.settings": frozenset({Role.ADMIN}),
    "notify.manage": frozenset({Role.HEAD, Role.ADMIN}),
}

PERMISSION_LABELS = {
    "booking.decide": "审核预约",
    "booking.checkin": "签到/爽约",
    "booking.cancel": "代患者取消",
    "booking.walkin": "现场挂号",
    "booking.override": "越过预约规则审核通过",
    "booking.correct": "更正往日的签到/爽约",
    "roster.edit": "编辑排班",
    "roster.publish": "发布排班",
    "roster.import": "导入排班",
    "session.stop": "停诊",
    "session.substitute": "替诊",
    "session.extra": "加号",
    "masterdata.edit": "维护科室医生",
    "staff.manage": "管理账号",
    "rules.edit": "修改预约规则",
    "holidays.edit": "维护节假日例外",
    "wechat.settings": "微信设置",
    "notify.manage": "重发微信通知",
    "export.daily": "导出日清单",
    "export.unmasked": "导出完整号码",
    "export.roster": "导出排班",
    "patient.register": "登记患者",
}


@dataclass(frozen=True)
class Actor:
    kind: str  # 'staff', 'autoapprove', 'miniprogram', 'system'
    name: str
    staff_id: int | None = None
    role: str | None = None  # 'clerk', 'head', 'admin' for staff
    department_ids: frozenset[int] = field(default_factory=frozenset)  # a head's scope; empty = all
    display_name: str = ""

    def can(self, permission: str, department_id: int | None = None) -> bool:
        if self.kind == "system":
            return True
        if self.kind == "autoapprove":
            return permission == "booking.decide"
        if self.kind != "staff" or self.role not in PERMISSIONS.get(permission, frozenset()):
            return False
        if self.role == Role.HEAD and department_id is not None and self.department_ids:
            return department_id in self.department_ids
        return True

    def require(self, permission: str, department_id: int | None = None) -> None:
        if not self.can(permission, department_id):
            label = PERMISSION_LABELS.get(permission, permission)
            scope = "（不在您负责的科室）" if department_id is not None and self.can(permission) is True else ""
            raise PermissionDenied(f"{self.name} 无权执行：{label}{scope}")


SYSTEM = Actor(kind="system", name="system")
AUTOAPPROVE = Actor(kind="autoapprove", name="autoapprove")
