"""The roster import's second half: compare the file with the database, then change it. No Qt.

services/rosters/imports.py reads the workbook; ``plan_sheet`` turns each sheet into actions
(create, update, delete, publish, unpublish) inside the import's write transaction, with
the week's sessions and slots locked, and records a Problem for everything it refuses;
``check_overlaps`` looks at every doctor's day as it would be after the import; ``apply``
runs the actions only when no problem was found anywhere (services/rosters/imports.py decides).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.engine import Connection

from services import limits
from services.clock import hospital_today, utcnow
from services.domain import SessionStatus
from services.errors import Conflict, ValidationError
from services.models import TAKEN_STATUSES, Booking, ClinicSession, Doctor, RosterTemplate, Slot
from services.notify import outbox
from services.rosters.calendar import check_hours, lock_doctors, minutes, slot_times
from services.rosters.layout import (
    PERIOD_LABELS,
    PERIODS,
    WEEKDAYS,
    CellSpec,
    Problem,
    RosterWeek,
    RowIn,
    SessionState,
    SheetIn,
    SlotState,
    load_week,
)
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

DEFAULT_SLOT_MINUTES = 30


@dataclass
class Action:
    kind: str  # create, update, delete, publish, unpublish
    sheet: str
    cell: str
    rostered_doctor_id: int
    doctor_id: int  # who sees the patients
    day: dt.date
    period: str
    spec: CellSpec | None = None
    session: SessionState | None = None
    status: str | None = None  # the session's status afterwards
    keep: list[tuple[SlotState, dt.time, int]] = field(default_factory=list)  # slot, new end, new capacity
    remove: list[SlotState] = field(default_factory=list)
    add: list[tuple[dt.time, dt.time, int]] = field(default_factory=list)


@dataclass
class Occupied:
    """A doctor's time on a day as it would be after the import (for the overlap check)."""
    doctor_id: int
    day: dt.date
    period: str
    starts_at: dt.time
    ends_at: dt.time
    sheet: str | None  # None: a session the file does not show
    cell: str | None
    changed: bool
    session_id: int | None


@dataclass
class SheetPlan:
    title: str
    week: RosterWeek
    actions: list[Action] = field(default_factory=list)
    occupied: list[Occupied] = field(default_factory=list)
    covered: set[int] = field(default_factory=set)  # session ids the file speaks for
    unchanged: int = 0


# ---------------------------------------------------------------- slots and places

def distribute(total: int, floors: list[int]) -> list[int]:
    """Spread ``total`` places over slots as evenly as possible, no slot below its floor.

    The caller makes sure ``total >= sum(floors)``. Water-filling: raise every slot to a
    common level L (the largest that fits), then give the few places left, one each, to the
    earliest slots standing at that level.
    """
    lo, hi = 0, total
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(max(f, mid) for f in floors) <= total:
            lo = mid
        else:
            hi = mid - 1
    caps = [max(f, lo) for f in floors]
    left = total - sum(caps)
    for i, f in enumerate(floors):
        if left <= 0:
            break
        if f <= lo:
            caps[i] += 1
            left -= 1
    return caps


def _minutes(a: dt.time, b: dt.time) -> int:
    return minutes(b) - minutes(a)


def _grid(spec: CellSpec, slot_minutes: int, refuse) -> list[tuple[dt.time, dt.time]] | None:
    """The slots of new hours; like a template's, every slot the same length (services.rosters.templates)."""
    length = _minutes(spec.starts_at, spec.ends_at)
    if length % slot_minutes:
        refuse(f"出诊时长 {length} 分钟不是每个时段 {slot_minutes} 分钟的整数倍")
        return None
    return slot_times(spec.starts_at, spec.ends_at, slot_minutes)


def _label(day: dt.date, period: str, a: dt.time, b: dt.time) -> str:
    return f"{WEEKDAYS[day.weekday()]}{PERIOD_LABELS[period]} {a:%H:%M}-{b:%H:%M}"


# ---------------------------------------------------------------- planning a sheet

def _doctors(conn: Connection, department_id: int, ids: set[int]):
    q = select(Doctor.id, Doctor.department_id, Doctor.name, Doctor.active).where(
        (Doctor.department_id == department_id) | Doctor.id.in_(sorted(ids) or [-1]))
    return {r.id: r for r in conn.execute(q)}


def _templates(conn: Connection, doctor_ids) -> dict[tuple[int, int, str], int]:
    q = select(RosterTemplate.doctor_id, RosterTemplate.weekday, RosterTemplate.period,
               RosterTemplate.slot_minutes).where(RosterTemplate.doctor_id.in_(list(doctor_ids) or [-1]),
                                                  RosterTemplate.active.is_(True))
    return {(r[0], r[1], r[2]): int(r[3]) for r in conn.execute(q)}


def _resolve_row(row: RowIn, sheet: SheetIn, docs, seen: dict[int, int], problems: list[Problem]):
    dep = sheet.department
    if row.doctor_id is not None:
        doc = docs.get(row.doctor_id)
        if doc is None:
            problems.append(Problem(sheet.title, f"A{row.row}", f"医生编号 {row.doctor_id} 不存在"))
            return None
        if doc.department_id != dep.id:
            problems.append(Problem(sheet.title, f"A{row.row}",
                                    f"医生“{doc.name}”（编号 {doc.id}）不属于{dep.name}"))
            return None
        if row.name is not None and row.name != doc.name:
            problems.append(Problem(sheet.title, f"B{row.row}",
                                    f"姓名“{row.name}”与编号 {doc.id} 的医生“{doc.name}”不符"))
            return None
    else:
        found = [d for d in docs.values() if d.department_id == dep.id and d.name == row.name]
        if not found:
            problems.append(Problem(sheet.title, f"B{row.row}", f"{dep.name}没有医生“{row.name}”"))
            return None
        if len(found) > 1:
            problems.append(Problem(sheet.title, f"B{row.row}",
                                    f"{dep.name}有 {len(found)} 位医生叫“{row.name}”，请在 A 列填写编号"))
            return None
        doc = found[0]
    if doc.id in seen:
        problems.append(Problem(sheet.title, f"B{row.row}", f"医生“{doc.name}”重复（第 {seen[doc.id]} 行已有）"))
        return None
    seen[doc.id] = row.row
    return doc


def lock_departments(conn: Connection, department_ids) -> None:
    """Lock the departments' doctors (id order), as every session-creating transaction does first
    (services.rosters.calendar.lock_doctors): a publish or a substitution running now waits for us."""
    ids = conn.execute(select(Doctor.id).where(Doctor.department_id.in_(list(department_ids)))).scalars().all()
    lock_doctors(conn, ids)


def plan_sheet(conn: Connection, sheet: SheetIn, hospital: str, problems: list[Problem]) -> SheetPlan:
    week = load_week(conn, sheet.department, hospital, sheet.monday, lock=True)
    plan = SheetPlan(sheet.title, week)
    docs = _doctors(conn, sheet.department.id, {r.doctor_id for r in sheet.rows if r.doctor_id is not None})
    templates = _templates(conn, docs.keys())
    today = hospital_today()
    seen: dict[int, int] = {}
    for row in sheet.rows:
        doc = _resolve_row(row, sheet, docs, seen, problems)
        if doc is None:
            continue
        for d, day in enumerate(week.days):
            for p, period in enumerate(PERIODS):
                existing = week.sessions.get((doc.id, day, period))
                if existing is not None:
                    plan.covered.add(existing.id)
                ref, spec = row.cells.get((d, p), (None, None))
                if (d, p) in row.unreadable:
                    continue  # already a problem
                if spec is None and existing is None:
                    continue
                n_before = len(problems)
                action = _plan_cell(sheet.title, ref, doc, day, period, spec, existing, templates, problems)
                if action is None:
                    if existing is not None and spec is not None:
                        plan.unchanged += 1
                        if existing.status != SessionStatus.STOPPED:
                            plan.occupied.append(Occupied(existing.doctor_id, day, period, existing.starts_at,
                                                          existing.ends_at, sheet.title, ref, False, existing.id))
                    continue
                out_of_reach = limits.roster_day_problem(day, today)  # the rule `roster publish` keeps too
                if out_of_reach and len(problems) == n_before:
                    problems.append(Problem(sheet.title, ref, out_of_reach))
                    continue
                plan.actions.append(action)
                if action.kind != "delete" and spec is not None and action.status != SessionStatus.STOPPED:
                    plan.occupied.append(Occupied(action.doctor_id, day, period, spec.starts_at, spec.ends_at,
                                                  sheet.title, ref, True, existing.id if existing else None))
    return plan


def _plan_cell(title: str, ref: str, doc, day: dt.date, period: str, spec: CellSpec | None,
               existing: SessionState | None, templates, problems: list[Problem]) -> Action | None:
    def refuse(msg: str) -> None:
        problems.append(Problem(title, ref, msg))

    base = dict(sheet=title, cell=ref, rostered_doctor_id=doc.id, day=day, period=period, spec=spec)
    if spec is None:  # cleared
        if existing.live:
            refuse(f"该出诊已有 {existing.live} 个预约，不能删除（如需取消出诊请在排班界面停诊）")
            return None
        if existing.bookings:  # only finished bookings: they keep the rows, the patients no longer see it
            if existing.status == SessionStatus.DRAFT:
                return None
            return Action("unpublish", doctor_id=existing.doctor_id, session=existing, status=SessionStatus.DRAFT,
                          **base)
        return Action("delete", doctor_id=existing.doctor_id, session=existing, **base)

    status = SessionStatus.DRAFT if spec.draft else SessionStatus.PUBLISHED
    if existing is not None:
        same_hours = (spec.starts_at, spec.ends_at) == (existing.starts_at, existing.ends_at)
        if (same_hours and spec.places == existing.capacity
                and spec.stopped == (existing.status == SessionStatus.STOPPED)
                and spec.draft == (existing.status == SessionStatus.DRAFT)):
            return None  # unchanged: whatever the session looks like, the file agrees with it
        if existing.status == SessionStatus.STOPPED:
            refuse("已停诊的出诊不能在表格中修改或恢复，请在排班界面操作")
            return None
    if spec.stopped:
        refuse("停诊请在排班界面操作（需要通知已预约的患者），不能在表格中标记")
        return None
    if spec.places <= 0:
        refuse(f"号数必须大于 0：共{spec.places}号")
        return None
    if existing is None or (spec.starts_at, spec.ends_at) != (existing.starts_at, existing.ends_at):
        try:
            check_hours(period, spec.starts_at, spec.ends_at)  # the start fits the period, as everywhere
        except ValidationError as exc:
            refuse(str(exc))
            return None

    if existing is None:
        if not doc.active:
            refuse(f"医生“{doc.name}”已停用，不能新增出诊")
            return None
        step = templates.get((doc.id, day.weekday(), period), DEFAULT_SLOT_MINUTES)
        grid = _grid(spec, step, refuse)
        if grid is None:
            return None
        if spec.places < len(grid):
            refuse(f"共{spec.places}号少于时段数 {len(grid)}（每 {step} 分钟一个时段，每个时段至少 1 号）")
            return None
        caps = distribute(spec.places, [1] * len(grid))
        return Action("create", doctor_id=doc.id, status=status,
                      add=[(a, b, c) for (a, b), c in zip(grid, caps, strict=True)], **base)

    if status == SessionStatus.DRAFT and existing.status != SessionStatus.DRAFT and existing.live:
        refuse(f"该出诊已有 {existing.live} 个预约，不能改为未发布")
        return None
    if spec.places < existing.taken:
        refuse(f"共{spec.places}号少于已约的 {existing.taken} 号")
        return None
    same_hours = (spec.starts_at, spec.ends_at) == (existing.starts_at, existing.ends_at)
    if same_hours and spec.places == existing.capacity:
        kind = "publish" if status == SessionStatus.PUBLISHED else "unpublish"
        return Action(kind, doctor_id=existing.doctor_id, session=existing, status=status, **base)
    if same_hours and existing.slots:
        grid = [(s.starts_at, s.ends_at) for s in existing.slots]
        step = _minutes(*grid[0])
    else:
        if existing.slots:
            step = _minutes(existing.slots[0].starts_at, existing.slots[0].ends_at)
        else:
            step = templates.get((doc.id, day.weekday(), period), DEFAULT_SLOT_MINUTES)
        grid = _grid(spec, step, refuse)
        if grid is None:
            return None
    by_start = {s.starts_at: s for s in existing.slots}
    starts = {a for a, _ in grid}
    remove = [s for s in existing.slots if s.starts_at not in starts]
    stuck = [s for s in remove if s.bookings]
    if stuck:
        s = stuck[0]
        refuse(f"{s.starts_at:%H:%M}-{s.ends_at:%H:%M} 时段已有预约，不能移出出诊时间")
        return None
    floors = [max(1, by_start[a].taken) if a in by_start else 1 for a, _ in grid]
    if spec.places < sum(floors):
        if spec.places < len(grid):
            refuse(f"共{spec.places}号少于时段数 {len(grid)}（每 {step} 分钟一个时段，每个时段至少 1 号）")
        else:
            refuse(f"共{spec.places}号不够：各时段已约的人数加上其余时段每段 1 号，至少要 {sum(floors)} 号")
        return None
    caps = distribute(spec.places, floors)
    action = Action("update", doctor_id=existing.doctor_id, session=existing, status=status, remove=remove, **base)
    for (a, b), c in zip(grid, caps, strict=True):
        old = by_start.get(a)
        if old is None:
            action.add.append((a, b, c))
        elif (old.ends_at, old.capacity) != (b, c):
            action.keep.append((old, b, c))
    return action


# ---------------------------------------------------------------- overlaps

def check_overlaps(conn: Connection, plans: list[SheetPlan], problems: list[Problem]) -> None:
    """No doctor may be in two sessions at once on a day, after the import."""
    occupied = [o for p in plans for o in p.occupied]
    covered = set().union(*(p.covered for p in plans)) if plans else set()
    pairs = {(o.doctor_id, o.day) for o in occupied if o.changed}
    if not pairs:
        return
    doctors = sorted({d for d, _ in pairs})
    days = sorted({day for _, day in pairs})
    others = conn.execute(
        select(ClinicSession.id, ClinicSession.doctor_id, ClinicSession.day, ClinicSession.period,
               ClinicSession.starts_at, ClinicSession.ends_at)
        .where(ClinicSession.doctor_id.in_(doctors), ClinicSession.day.in_(days),
               ClinicSession.status != SessionStatus.STOPPED)).all()
    for s in others:
        if s.id not in covered and (s.doctor_id, s.day) in pairs:
            occupied.append(Occupied(s.doctor_id, s.day, s.period, s.starts_at, s.ends_at, None, None, False, s.id))
    by_day: dict[tuple[int, dt.date], list[Occupied]] = {}
    for o in occupied:
        if (o.doctor_id, o.day) in pairs:
            by_day.setdefault((o.doctor_id, o.day), []).append(o)
    for items in by_day.values():
        items.sort(key=lambda o: (o.starts_at, o.ends_at))
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if b.starts_at >= a.ends_at:
                    break
                for mine, other in ((a, b), (b, a)):
                    if mine.changed:
                        what = _label(other.day, other.period, other.starts_at, other.ends_at)
                        where = f"{other.sheet}!{other.cell}" if other.sheet else "已有出诊"
                        problems.append(Problem(mine.sheet, mine.cell, f"与{where}（{what}）时间重叠"))
                        break


# ---------------------------------------------------------------- applying

def apply(conn: Connection, actor: Actor, plans: list[SheetPlan], source: str) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "deleted": 0, "unpublished": 0, "published": 0,
              "unchanged": sum(p.unchanged for p in plans), "notified": 0}
    now = utcnow()
    for plan in plans:
        for a in plan.actions:
            detail = {"file": source, "cell": f"{a.sheet}!{a.cell}", "day": a.day.isoformat(), "period": a.period,
                      "doctor_id": a.rostered_doctor_id}
            if a.spec is not None:
                detail.update(hours=f"{a.spec.starts_at:%H:%M}-{a.spec.ends_at:%H:%M}", places=a.spec.places)
            if a.kind == "create":
                sid = _create(conn, a, now)
                counts["created"] += 1
            elif a.kind == "delete":
                sid = a.session.id
                _delete(conn, a.session)
                counts["deleted"] += 1
            else:
                sid = a.session.id
                _update(conn, a, now)
                if a.spec is not None and (a.spec.starts_at, a.spec.ends_at) != (a.session.starts_at,
                                                                                    a.session.ends_at):
                    # the booked patients hear of new hours as from the console (same transaction)
                    told = outbox.enqueue_for_session(
                        conn, sid, "rescheduled", {"reason": f"出诊时间改为{a.spec.starts_at:%H:%M}-{a.spec.ends_at:%H:%M}"})
                    detail["notified"] = told
                    counts["notified"] += told
                counts[{"update": "updated", "publish": "published", "unpublish": "unpublished"}[a.kind]] += 1
            audit.record(conn, actor, f"import_{a.kind}", "session", sid, detail)
    return counts


def _create(conn: Connection, a: Action, now: dt.datetime) -> int:
    sid = conn.execute(insert(ClinicSession).values(
        doctor_id=a.doctor_id, rostered_doctor_id=a.rostered_doctor_id, day=a.day, period=a.period,
        starts_at=a.spec.starts_at, ends_at=a.spec.ends_at, status=a.status, updated_at=now)).inserted_primary_key[0]
    conn.execute(insert(Slot), [{"session_id": sid, "starts_at": s, "ends_at": e, "capacity": c} for s, e, c in a.add])
    return sid


def _no_bookings(slot_id_col):
    return ~exists(select(Booking.id).where(Booking.slot_id == slot_id_col))


def _delete(conn: Connection, s: SessionState) -> None:
    gone = conn.execute(delete(Slot).where(Slot.session_id == s.id, _no_bookings(Slot.id))).rowcount
    left = conn.execute(select(func.count()).select_from(Slot).where(Slot.session_id == s.id)).scalar_one()
    if left or gone != len(s.slots):
        raise Conflict("导入时该出诊刚有新的预约，未做任何修改，请重新导出后再试")
    conn.execute(delete(ClinicSession).where(ClinicSession.id == s.id))


def _update(conn: Connection, a: Action, now: dt.datetime) -> None:
    s = a.session
    values = {"status": a.status, "updated_at": now}
    if a.spec is not None:
        values.update(starts_at=a.spec.starts_at, ends_at=a.spec.ends_at)
    n = conn.execute(update(ClinicSession).where(ClinicSession.id == s.id, ClinicSession.status == s.status)
                     .values(**values)).rowcount
    if n != 1:
        raise Conflict("导入时该出诊被他人修改，未做任何修改，请重新导出后再试")
    for slot in a.remove:
        if conn.execute(delete(Slot).where(Slot.id == slot.id, _no_bookings(Slot.id))).rowcount != 1:
            raise Conflict("导入时该出诊刚有新的预约，未做任何修改，请重新导出后再试")
    for slot, end, cap in a.keep:
        taken = (select(func.count()).select_from(Booking)
                 .where(Booking.slot_id == slot.id, Booking.status.in_(TAKEN_STATUSES)).scalar_subquery())
        # never below what the slot holds, whatever happened since the plan was made
        n = conn.execute(update(Slot).where(Slot.id == slot.id, taken <= cap)
                         .values(ends_at=end, capacity=cap)).rowcount
        if n != 1:
            raise Conflict("导入时该时段的预约人数有变，未做任何修改，请重新导出后再试")
    if a.add:
        conn.execute(insert(Slot), [{"session_id": s.id, "starts_at": st, "ends_at": e, "capacity": c}
                                    for st, e, c in a.add])
