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


# ---------------------------------------------------------------- revision 0011_referral
#
# Shares kept for referrals (转诊/医联体) and follow-ups (复诊) beside the desk's (services.rosters.shares
# says how the places are counted; Slots.left there is the same arithmetic in Python). Three columns at
# the view's end: the places an ordinary online request, a referral and a follow-up may take.

KINDS = ("desk", "referral", "followup")
_HELD = {"desk": " AND b.source = 'desk'",
         "referral": " AND b.source <> 'desk' AND b.share_kind = 'referral'",
         "followup": " AND b.source <> 'desk' AND b.share_kind = 'followup'"}


def _count(cond: str) -> str:
    return f"COALESCE(SUM(CASE WHEN {_TAKEN}{cond} THEN 1 ELSE 0 END), 0)"


def _kept_shares(dialect: str) -> dict[str, str]:
    """view column -> its expression: online_remaining, referral_remaining, followup_remaining."""
    my = dialect in ("mysql", "mariadb")
    most, least = ("max", "min") if dialect == "sqlite" else ("GREATEST", "LEAST")
    div = "DIV" if my else "/"
    kept = {k: f"((s.capacity * COALESCE(cs.{k}_share_pct, dep.{k}_share_pct, 0)) {div} 100)" for k in KINDS}
    held = {k: _count(_HELD[k]) for k in KINDS}
    is_open = {k: f"cs.{k}_share_open" for k in KINDS}
    online = f"({_count('')} - {' - '.join(held.values())})"
    online_size = f"{most}(s.capacity - {' - '.join(kept.values())}, 0)"
    pool = " + ".join(f"(CASE WHEN {is_open[k]} THEN {kept[k]} ELSE 0 END)" for k in KINDS)
    over = " + ".join(f"(CASE WHEN {is_open[k]} THEN {held[k]} ELSE {most}({held[k]} - {kept[k]}, 0) END)"
                      for k in KINDS)
    shared = f"{most}({online_size} + {pool} - ({over}) - {online}, 0)"
    remaining = f"(s.capacity - {_count('')})"

    def left(own: str) -> str:
        return f"{most}({least}({own}{shared}, {remaining}), 0)"

    def own(k: str) -> str:
        return f"(CASE WHEN {is_open[k]} THEN 0 ELSE {most}({kept[k]} - {held[k]}, 0) END) + "
    return {"online_remaining": left(""), "referral_remaining": left(own("referral")),
            "followup_remaining": left(own("followup"))}


def kept_shares_view(dialect: str, replace: bool = False) -> str:
    """slot_availability with opens_at, online_remaining, referral_remaining and followup_remaining at its end."""
    sql = availability_view(dialect, True, replace)
    cols = ",\n".join(f"       {expr} AS {name}" for name, expr in _kept_shares(dialect).items())
    sql = sql.replace(" AS opens_at\n", f" AS opens_at,\n{cols}\n")
    sql = sql.replace("JOIN doctors d ON d.id = cs.doctor_id\n",
                      "JOIN doctors d ON d.id = cs.doctor_id\nJOIN departments dep ON dep.id = d.department_id\n")
    extra = ", ".join(f"cs.{k}_share_pct, dep.{k}_share_pct, cs.{k}_share_open" for k in KINDS)
    return sql.replace("GROUP BY s.id, s.session_id, cs.doctor_id, d.department_id, cs.day, s.starts_at, s.ends_at,"
                       " s.capacity",
                       "GROUP BY s.id, s.session_id, cs.doctor_id, d.department_id, cs.day, s.starts_at, s.ends_at,"
                       f" s.capacity, {extra}")
