"""slot_availability.online_remaining (revision 0010_shares): the places left for online requests.

The desk's share of a slot (号源池, services.rosters.shares) is ``capacity * pct // 100`` places, pct the
session's ``desk_share_pct`` or else its department's (none: 0), until the share opens
(``clinic_sessions.desk_share_open``, set by the job service at the hospital's cut-off). Online requests
take only the rest: online_remaining = the smaller of ``remaining`` and (capacity - kept - the places
online bookings hold), never below 0.
"""
from __future__ import annotations

from services.migrations.helpers import availability_view

_TAKEN = "b.status IN ('confirmed', 'checked_in', 'no_show')"


def _kept(dialect: str) -> str:
    pct = "COALESCE(cs.desk_share_pct, dep.desk_share_pct, 0)"
    div = "DIV" if dialect in ("mysql", "mariadb") else "/"
    return f"CASE WHEN cs.desk_share_open THEN 0 ELSE (s.capacity * {pct}) {div} 100 END"


def online_remaining(dialect: str) -> str:
    remaining = f"s.capacity - COALESCE(SUM(CASE WHEN {_TAKEN} THEN 1 ELSE 0 END), 0)"
    online = (f"s.capacity - {_kept(dialect)}"
              f" - COALESCE(SUM(CASE WHEN {_TAKEN} AND b.source = 'miniprogram' THEN 1 ELSE 0 END), 0)")
    least = f"CASE WHEN ({remaining}) < ({online}) THEN ({remaining}) ELSE ({online}) END"
    return f"CASE WHEN ({least}) < 0 THEN 0 ELSE ({least}) END"


def shares_view(dialect: str, replace: bool = False) -> str:
    """slot_availability with ``opens_at`` and then ``online_remaining`` at its end."""
    sql = availability_view(dialect, True, replace)
    sql = sql.replace(" AS opens_at\n", f" AS opens_at,\n       {online_remaining(dialect)} AS online_remaining\n")
    sql = sql.replace("JOIN doctors d ON d.id = cs.doctor_id\n",
                      "JOIN doctors d ON d.id = cs.doctor_id\nJOIN departments dep ON dep.id = d.department_id\n")
    return sql.replace("GROUP BY s.id, s.session_id, cs.doctor_id, d.department_id, cs.day, s.starts_at, s.ends_at,"
                       " s.capacity",
                       "GROUP BY s.id, s.session_id, cs.doctor_id, d.department_id, cs.day, s.starts_at, s.ends_at,"
                       " s.capacity, cs.desk_share_pct, dep.desk_share_pct, cs.desk_share_open")
