"""Shares of a slot's places (号源池): places kept for the desk (现场号), for referrals (转诊/医联体) and for
follow-ups (复诊); the rest is the online share.

A department keeps ``<kind>_share_pct`` % of each slot's places for each kind (``capacity * pct // 100``
places; none when unset; the three together at most 100 %), and a session may override each of its
department's shares. Who may take which places (:class:`Slots`, the one arithmetic; :func:`place_for` asks it
for a request, inside its decision):

- an ordinary online request: the online share only;
- a referral (the mini-program wrote ``bookings.channel = 'referral'`` and a ``referral_code``): the referral
  share first, then the online share; a follow-up (the patient was seen, checked in, in the department, or by
  the same doctor with the rule ``followup_same_doctor``, within ``followup_days`` before the clinic day):
  the follow-up share first, then the online share. A request is one kind: a referral before a follow-up;
- a walk-in: the desk share first; the online share's unused places once the online share opens to the desk
  (rules ``online_share_opens_days_before``, ``online_share_opens_time``: by default on the clinic day).

At each kept share's cut-off (rules ``<kind>_share_opens_days_before``, ``<kind>_share_opens_time``; by default
18:00 the day before) the job service opens it (:func:`open_due`): its unused places are then everyone's, and
the waitlist (services.bookings.waitlist) fills from them. A confirmed referral or follow-up records its kind
(``bookings.share_kind``) so that each share's places are counted; places are interchangeable, so what a
kind holds fills its own share first and only the rest counts against the online share.

The shares are enforced as capacity is: a decision reads them after services.bookings.decisions.lock_and_count,
so deciders on one server take turns; on a multi-primary cluster every confirmation in a slot writes the
slot's counter row (services/migrations/capacity.py), so two racing confirmations in one slot conflict and
the retried one counts the other's. The view slot_availability says the same in ``online_remaining``,
``referral_remaining`` and ``followup_remaining`` (services/migrations/shares.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import and_, bindparam, false, func, select, update
from sqlalchemy.engine import Connection

from services import limits
from services.clock import local_now, utcnow
from services.db import Database
from services.domain import TAKEN
from services.errors import NotFound, ValidationError
from services.models import Booking, ClinicSession, Department, Doctor, Slot
from services.staff import audit
from services.staff.actor import Actor

KINDS = ("desk", "referral", "followup")  # the kept shares
KIND_LABELS = {"desk": "现场号", "referral": "转诊号", "followup": "复诊号"}
REFERRAL = "referral"  # bookings.channel of a referral (转诊/医联体)

_SHARE = (select(Slot.id,
                 *[func.coalesce(getattr(ClinicSession, f"{k}_share_pct"), getattr(Department, f"{k}_share_pct"), 0)
                   for k in KINDS],
                 *[getattr(ClinicSession, f"{k}_share_open") for k in KINDS],
                 ClinicSession.day, ClinicSession.doctor_id, Doctor.department_id)
          .select_from(Slot).join(ClinicSession, ClinicSession.id == Slot.session_id)
          .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
          .where(Slot.id.in_(bindparam("slots", expanding=True))))
_HELD = (select(Booking.slot_id, Booking.source, Booking.share_kind, func.count()).select_from(Booking)
         .where(Booking.slot_id.in_(bindparam("slots", expanding=True)), Booking.status.in_(tuple(TAKEN)))
         .group_by(Booking.slot_id, Booking.source, Booking.share_kind))
_SEEN = (select(Booking.id).join(Slot, Slot.id == Booking.slot_id).join(ClinicSession, ClinicSession.id == Slot.session_id)
         .join(Doctor, Doctor.id == ClinicSession.doctor_id)
         .where(Booking.patient_id == bindparam("patient"), Booking.status == "checked_in",
                ClinicSession.day >= bindparam("since"), ClinicSession.day < bindparam("day")).limit(1))
DESK_FULL = "该时段的现场号已用完（其余为网上预约、转诊或复诊保留的号，到开放时间后窗口也可挂）"


def kept(capacity: int, pct: int | None) -> int:
    """The places of a slot a share of ``pct`` % keeps."""
    return capacity * (pct or 0) // 100


@dataclass(frozen=True)
class Slots:
    """One slot's places by share: ``kept`` kind -> places kept, ``opened`` the kept shares whose cut-off has
    passed (everyone's now), ``held`` 'desk'/'referral'/'followup'/'online' -> the places their bookings hold."""
    capacity: int
    kept: dict[str, int]
    opened: frozenset[str]
    held: dict[str, int]

    def _own_free(self, kind: str) -> int:
        return 0 if kind not in KINDS or kind in self.opened else max(self.kept[kind] - self.held[kind], 0)

    def left(self, kind: str, online_to_desk: bool = True) -> int:
        """The places a request of ``kind`` ('online', 'referral', 'followup', 'desk') may take: its own kept
        share's, then those of the online share (the desk's only with ``online_to_desk``) and of the opened
        kept shares that the places others hold beyond their own shares leave."""
        online_size = max(self.capacity - sum(self.kept.values()), 0)
        opened = sum(self.kept[k] for k in self.opened)
        beyond = {k: self.held[k] if k in self.opened else max(self.held[k] - self.kept[k], 0) for k in KINDS}
        others = sum(beyond.values()) - beyond["desk"] + self.held["online"]  # may take the online share
        if kind == "desk" and not online_to_desk:  # the desk reaches only the opened shares beyond its own
            common = opened - beyond["desk"] - max(others - online_size, 0)
        else:
            common = online_size + opened - beyond["desk"] - others
        free = self._own_free(kind) + max(common, 0)
        return max(min(free, self.capacity - sum(self.held.values())), 0)

    def share(self, kind: str, online_to_desk: bool = True) -> str | None:
        """Which share the next request of ``kind`` takes its place from: its own kept share while it has
        room, else 'online' (the online share, or a kept share opened to everyone); None: no place for it."""
        if self.left(kind, online_to_desk) <= 0:
            return None
        return kind if self._own_free(kind) else "online"


@dataclass(frozen=True)
class Place:
    """What :func:`place_for` answers: the request's ``kind``, the places it may take (``left``) and the share
    its place comes from (``share``; None: none left for it)."""
    kind: str
    left: int
    share: str | None

    @property
    def values(self) -> dict:
        """What a confirmation writes on the booking besides its status: the kept share it was entitled to."""
        return {"share_kind": self.kind} if self.kind in ("referral", "followup") else {}


def _rules(conn: Connection, r):
    if r is not None:
        return r
    from services.bookings import rules  # it builds on the decisions, which use this module
    return rules.read(conn)


@dataclass(frozen=True)
class SlotShares:
    """What :func:`place_for` reads of a slot (:func:`read_shares`): its shares' % (desk, referral, follow-up),
    the kept shares opened, its session's day, doctor and department, and who holds its places (by
    :class:`Slots`' keys; empty when the slot keeps nothing: then it is not read)."""
    pcts: tuple[int, int, int]
    opened: frozenset[str]
    day: dt.date
    doctor_id: int
    department_id: int
    held: dict[str, int]

    def after(self, place: Place) -> SlotShares:
        """The same slot once ``place`` was confirmed (a batch of decisions counts its own confirmations)."""
        if not any(self.pcts):
            return self
        key = place.kind if place.kind in KINDS else "online"
        return replace(self, held={**self.held, key: self.held[key] + 1})


def read_shares(conn: Connection, slot_ids) -> dict[int, SlotShares]:
    """slot -> its SlotShares, for many slots in two statements (read after the decision's locks)."""
    ids = sorted(set(slot_ids))
    out: dict[int, SlotShares] = {}
    for row in conn.execute(_SHARE, {"slots": ids}):
        out[row[0]] = SlotShares(tuple(row[1:4]), frozenset(k for k, flag in zip(KINDS, row[4:7], strict=True) if flag),
                                 row[7], row[8], row[9], {})
    keeping = [sid for sid, info in out.items() if any(info.pcts)]
    for sid in keeping:
        out[sid].held.update(dict.fromkeys((*KINDS, "online"), 0))
    if keeping:
        for sid, source, kind, n in conn.execute(_HELD, {"slots": keeping}):
            key = "desk" if source == "desk" else kind if kind in ("referral", "followup") else "online"
            out[sid].held[key] += n
    return out


def is_referral(channel: str | None, code: str | None) -> bool:
    return channel == REFERRAL and bool((code or "").strip())


def _is_followup(conn: Connection, request, day: dt.date, doctor_id: int, department_id: int, r) -> bool:
    q = _SEEN.where(ClinicSession.doctor_id == doctor_id if r.followup_same_doctor
                    else Doctor.department_id == department_id)
    since = day - dt.timedelta(days=r.followup_days)
    return conn.execute(q, {"patient": request.patient_id, "since": since, "day": day}).first() is not None


def online_opens_at(day: dt.date, r) -> dt.datetime:
    """When the online share's unused places of a session on ``day`` open to the desk."""
    return opens_at(day, r, "online")


def place_for(conn: Connection, slot_id: int, capacity: int, taken: int, request=None, *,
              now: dt.datetime, r=None, known: SlotShares | None = None) -> Place:
    """Inside a decision, after lock_and_count (``capacity`` and ``taken`` as it read them): which share a
    request may take a place from. ``request``: an online request (a row with ``patient_id`` and, when the
    mini-program wrote them, ``channel`` and ``referral_code``: services.bookings.decisions' context rows),
    or None for a walk-in at the desk; ``now``: the hospital's wall-clock time; ``r``: the rules (read when
    None); ``known``: the slot's SlotShares when read already (read_shares, for a batch; after each of its
    confirmations SlotShares.after). Every decider asks this one function: the decide job, a clerk's approval,
    the waitlist, a walk-in."""
    info = known if known is not None else read_shares(conn, [slot_id])[slot_id]
    r = _rules(conn, r)
    if request is None:
        kind = "desk"
    elif is_referral(getattr(request, "channel", None), getattr(request, "referral_code", None)):
        kind = "referral"
    elif (kept(capacity, info.pcts[2]) and "followup" not in info.opened
          and _is_followup(conn, request, info.day, info.doctor_id, info.department_id, r)):
        kind = "followup"
    else:
        kind = "online"
    return _place(info, capacity, taken, kind, now >= online_opens_at(info.day, r))


def _place(info: SlotShares, capacity: int, taken: int, kind: str, to_desk: bool) -> Place:
    if not any(info.pcts):  # nothing kept: every place is everyone's
        left = capacity - taken
        return Place(kind, left, ("desk" if kind == "desk" else "online") if left > 0 else None)
    slots = Slots(capacity, {k: kept(capacity, p) for k, p in zip(KINDS, info.pcts, strict=True)}, info.opened,
                  info.held)
    left = min(slots.left(kind, to_desk), capacity - taken)
    return Place(kind, left, slots.share(kind, to_desk) if left > 0 else None)


def online_left_many(conn: Connection, counters: dict[int, tuple[int, int]]) -> dict[int, int]:
    """slot -> the places an ordinary online request may take (the online share, and the kept shares opened),
    for many slots (slot -> (capacity, taken), after the locks) in two statements: a lower bound of what
    place_for gives a referral or a follow-up."""
    infos = read_shares(conn, counters)
    return {sid: _place(infos[sid], cap, taken, "online", True).left for sid, (cap, taken) in counters.items()}


def desk_refusal(conn: Connection, slot_id: int, capacity: int, taken: int, now: dt.datetime) -> str | None:
    """Inside a walk-in, after lock_and_count: why the desk may not take a place (the places left are kept
    for others), or None."""
    return DESK_FULL if place_for(conn, slot_id, capacity, taken, now=now).left <= 0 and taken < capacity else None


def desk_left(db: Database, slot_ids: list[int], now: dt.datetime | None = None) -> dict[int, int]:
    """slot -> the places a walk-in may take, for the slots where the shares keep some of the free places from
    the desk (the walk-in dialog shows them; elsewhere every free place is the desk's)."""
    now = now or local_now()
    out: dict[int, int] = {}
    with db.read() as conn:
        r = _rules(conn, None)
        for sid in slot_ids:
            cap, taken = conn.execute(select(Slot.capacity, func.count(Booking.id)).select_from(Slot)
                                      .outerjoin(Booking, and_(Booking.slot_id == Slot.id,
                                                               Booking.status.in_(tuple(TAKEN))))
                                      .where(Slot.id == sid).group_by(Slot.capacity)).one()
            left = place_for(conn, sid, cap, taken, now=now, r=r).left
            if left < cap - taken:
                out[sid] = left
    return out


@dataclass(frozen=True)
class Share:
    department_id: int | None
    session_id: int | None
    pct: int | None
    kind: str = "desk"


def _check_total(pcts: dict[str, int | None], where: str) -> None:
    total = sum(p or 0 for p in pcts.values())
    if total > 100:
        shown = "、".join(f"{KIND_LABELS[k]} {p}%" for k, p in pcts.items() if p)
        raise ValidationError(f"{where}保留的号源合计不能超过 100%（{shown}）", field="pct")


def _session_totals(conn: Connection, department_id: int | None, session_id: int | None,
                    changes: dict[str, int | None]) -> None:
    """Refuse shares (``changes``: kind -> pct) that would keep more than all of a slot's places, for the
    department or session set and every session of the department that overrides one of its shares."""
    cols = [getattr(ClinicSession, f"{k}_share_pct") for k in KINDS]
    dep_cols = [getattr(Department, f"{k}_share_pct") for k in KINDS]
    q = (select(ClinicSession.id, *cols, *dep_cols).join(Doctor, Doctor.id == ClinicSession.doctor_id)
         .join(Department, Department.id == Doctor.department_id))
    if session_id is not None:
        q = q.where(ClinicSession.id == session_id)
    else:
        dep = conn.execute(select(*dep_cols).where(Department.id == department_id)).one()
        _check_total({k: changes.get(k, p) for k, p in zip(KINDS, dep, strict=True)}, "科室")
        q = q.where(Department.id == department_id, func.coalesce(*cols).is_not(None))
    for row in conn.execute(q):
        own, dep = row[1:4], row[4:7]
        eff = {k: (o if o is not None else d) for k, o, d in zip(KINDS, own, dep, strict=True)}
        for kind, pct in changes.items():
            i = KINDS.index(kind)
            if session_id is not None:
                eff[kind] = pct if pct is not None else dep[i]
            elif own[i] is None:
                eff[kind] = pct
        _check_total(eff, f"出诊 {row[0]} ")


_RANGES = {k: limits.DESK_SHARE if k == "desk" else limits.IntRange(f"{KIND_LABELS[k]}比例（%）", 0, 100)
           for k in KINDS}


def _checked(pcts: dict[str, int | None], department_id: int | None, session_id: int | None,
             field: str | None) -> dict[str, int | None]:
    """``pcts`` with each number checked (0-100; refused by ``field``, else by ``pct:<kind>``)."""
    if (department_id is None) == (session_id is None):
        raise ValidationError("请指定一个科室或一个出诊（二选一）", field="department_id")
    out: dict[str, int | None] = {}
    for kind, pct in pcts.items():
        if kind not in KINDS:
            raise ValidationError(f"未知的保留号类型：{limits.shown(kind)}（可选 {'、'.join(KINDS)}）", field="kind")
        out[kind] = None if pct is None else _RANGES[kind].check(pct, field=field or f"pct:{kind}")
    return out


def check_shares(db: Database, pcts: dict[str, int | None], *, department_id: int | None = None,
                 session_id: int | None = None) -> None:
    """Refuse, as :func:`set_shares` would, shares that are out of range or keep over 100 % together (nothing
    is written: a form that changes other things first asks this before any change)."""
    pcts = _checked(pcts, department_id, session_id, None)
    with db.read() as conn:
        _session_totals(conn, department_id, session_id, pcts)


def set_shares(db: Database, actor: Actor, pcts: dict[str, int | None], *, department_id: int | None = None,
               session_id: int | None = None, field: str | None = None) -> list[Share]:
    """Set several shares of a department (admin) or of a session (None: its department's again; a head of
    its department too) at once, in one transaction: ``pcts`` kind -> pct. Exactly one of department_id,
    session_id. The shares kept together may not exceed 100 % anywhere (refused by the field 'pct'); a
    number out of range is refused by ``pct:<kind>`` (or ``field``); nothing is changed then."""
    pcts = _checked(pcts, department_id, session_id, field)
    values = {f"{kind}_share_pct": pct for kind, pct in pcts.items()}

    def tx(conn: Connection) -> list[Share]:
        if department_id is not None:
            actor.require("rules.edit")
            if conn.execute(select(Department.id).where(Department.id == department_id)).scalar() is None:
                raise NotFound(f"没有科室 ID {limits.shown(department_id)}")
            _session_totals(conn, department_id, None, pcts)
            if values:
                conn.execute(update(Department).where(Department.id == department_id).values(values))
                audit.record(conn, actor, "share", "department", department_id, values)
        else:
            dep = conn.execute(select(Doctor.department_id).join(ClinicSession, ClinicSession.doctor_id == Doctor.id)
                               .where(ClinicSession.id == session_id)).scalar()
            if dep is None:
                raise NotFound(f"没有出诊 ID {limits.shown(session_id)}")
            actor.require("session.extra", dep)
            _session_totals(conn, None, session_id, pcts)
            if values:
                conn.execute(update(ClinicSession).where(ClinicSession.id == session_id)
                             .values({**values, "updated_at": utcnow()}))
                audit.record(conn, actor, "share", "session", session_id, values)
        return [Share(department_id, session_id, pct, kind) for kind, pct in pcts.items()]
    return db.run(tx)


def set_share(db: Database, actor: Actor, pct: int | None, *, department_id: int | None = None,
              session_id: int | None = None, kind: str = "desk") -> Share:
    """Set a department's share of ``kind`` (desk, referral, followup; admin), or a session's (None: its
    department's again; a head of its department too): :func:`set_shares` of one kind, refused by 'pct'."""
    return set_shares(db, actor, {kind: pct}, department_id=department_id, session_id=session_id, field="pct")[0]


def opens_at(day: dt.date, r, kind: str = "desk") -> dt.datetime:
    """When the ``kind`` share of a session on ``day`` opens (``r``: the rules): a kept share to everyone,
    the online share ('online') to the desk."""
    at = dt.time.fromisoformat(getattr(r, f"{kind}_share_opens_time"))
    return dt.datetime.combine(day - dt.timedelta(days=getattr(r, f"{kind}_share_opens_days_before")), at)


def open_due(db: Database, now: dt.datetime | None = None) -> int:
    """Open the kept shares whose cut-off has passed (the job service); returns how many sessions had a share
    opened."""
    now = now or local_now()

    def tx(conn: Connection) -> int:
        r = _rules(conn, None)
        sessions: set[int] = set()
        for kind in KINDS:
            # the latest clinic day whose share is due: opens_at(day) <= now
            last = now.date() + dt.timedelta(days=getattr(r, f"{kind}_share_opens_days_before"))
            if opens_at(last, r, kind) > now:
                last -= dt.timedelta(days=1)
            flag = getattr(ClinicSession, f"{kind}_share_open")
            due = conn.execute(select(ClinicSession.id).where(ClinicSession.day <= last, flag == false())).scalars().all()
            for chunk in range(0, len(due), 500):
                conn.execute(update(ClinicSession).where(ClinicSession.id.in_(due[chunk:chunk + 500]))
                             .values({flag.key: True, "updated_at": utcnow()}))
            sessions.update(due)
        return len(sessions)
    return db.run(tx)
