"""What the console shows of the kept shares (号源池, services.rosters.shares): each session's shares in force
(desk, referral, follow-up) and its waitlist, for the week grid and the session dialog; each department's
shares, for the administration page. Plain data, read in one statement."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from services import limits
from services.db import Database
from services.errors import NotFound
from services.models import Booking, ClinicSession, Department, Doctor, Slot
from services.rosters.shares import KINDS


@dataclass(frozen=True)
class KindSupply:
    """One kept share of a session (desk, referral or follow-up), as the console shows it."""
    pct: int | None  # the share in force: the session's own, else its department's; None: nothing kept
    own: bool  # the session overrides its department's share
    department_pct: int | None
    open: bool  # the cut-off passed: the share's unused places are everyone's


@dataclass(frozen=True)
class SessionSupply:
    """A session's kept shares and waitlist, as the week grid and the session dialog show them: ``pct``,
    ``own``, ``department_pct`` and ``open`` are the desk share's; ``kinds`` kind -> KindSupply, all three."""
    pct: int | None  # the share in force: the session's own, else its department's; None: nothing kept
    own: bool  # the session overrides its department's share
    department_pct: int | None
    open: bool  # the cut-off passed: the share's unused places are everyone's
    waiting: int  # requests on the waitlist (候补) for the session's slots
    kinds: dict[str, KindSupply] = field(default_factory=dict)


def session_supply(conn: Connection, session_ids) -> dict[int, SessionSupply]:
    """session -> its SessionSupply, for these sessions: one grouped query per 900 sessions."""
    from services.bookings.waitlist import IS_WAITING  # the waitlist builds on this module
    ids = sorted(set(session_ids))
    cols = [c for k in KINDS for c in (getattr(ClinicSession, f"{k}_share_pct"), getattr(Department, f"{k}_share_pct"),
                                       getattr(ClinicSession, f"{k}_share_open"))]
    out: dict[int, SessionSupply] = {}
    for i in range(0, len(ids), 900):
        q = (select(ClinicSession.id, *cols, func.count(Booking.id))
             .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
             .outerjoin(Slot, Slot.session_id == ClinicSession.id)
             .outerjoin(Booking, and_(Booking.slot_id == Slot.id, IS_WAITING))
             .where(ClinicSession.id.in_(ids[i:i + 900]))
             .group_by(ClinicSession.id, *cols))
        for row in conn.execute(q):
            kinds = {}
            for n, kind in enumerate(KINDS):
                own, dep, is_open = row[1 + 3 * n:4 + 3 * n]
                kinds[kind] = KindSupply((own if own is not None else dep) or None, own is not None, dep, bool(is_open))
            desk = kinds["desk"]
            out[row[0]] = SessionSupply(desk.pct, desk.own, desk.department_pct, desk.open, int(row[-1]), kinds)
    return out


def supply_of(db: Database, session_id: int) -> SessionSupply:
    """One session's SessionSupply (the session dialog)."""
    with db.read() as conn:
        found = session_supply(conn, [session_id])
    if session_id not in found:
        raise NotFound(f"没有出诊 ID {limits.shown(session_id)}")
    return found[session_id]


@dataclass(frozen=True)
class DepartmentShare:
    id: int
    code: str
    name: str
    active: bool
    pct: int | None  # the desk share; None: no share kept
    referral_pct: int | None = None
    followup_pct: int | None = None

    @property
    def pcts(self) -> dict[str, int | None]:
        """kind -> its share (None: none kept)."""
        return {"desk": self.pct, "referral": self.referral_pct, "followup": self.followup_pct}


def department_shares(db: Database) -> list[DepartmentShare]:
    """Every department with its kept shares (the admin page), by code."""
    with db.read() as conn:
        rows = conn.execute(select(Department.id, Department.code, Department.name, Department.active,
                                   *[getattr(Department, f"{k}_share_pct") for k in KINDS])
                            .order_by(Department.code)).all()
    return [DepartmentShare(r[0], r[1], r[2], bool(r[3]), *r[4:7]) for r in rows]
