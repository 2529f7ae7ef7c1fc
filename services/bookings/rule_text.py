"""The hospital's rules as text: what `regdesk rules show` prints and `regdesk rules set KEY=VALUE` reads.

The values are checked by services.bookings.rules (the limits of services/limits.py), so the command line, the
console's rules page and the stored rules agree on what is allowed.
"""
from __future__ import annotations

from services import limits
from services.bookings.rules import _TYPES, RULE_LABELS, RULE_LIMITS, _check
from services.errors import ValidationError

_ON, _OFF = {"on", "true", "yes", "1", "开"}, {"off", "false", "no", "0", "关"}


def parse(key: str, text: str) -> object:
    """A rule's value typed as text (`regdesk rules set KEY=VALUE`), checked as :func:`save` checks it:
    on/off for a switch, a whole number inside its limits, HH:MM for a time (empty or off: none)."""
    if key not in _TYPES:
        raise ValidationError(f"未知的规则：{limits.shown(key)}（可用：{', '.join(_TYPES)}）", field=key)
    s, kind, name = text.strip(), _TYPES[key], RULE_LABELS[key][0]
    if kind is bool:
        if s.lower() not in _ON | _OFF:
            raise ValidationError(f"“{name}”应为 on 或 off：{limits.shown(text)}", field=key)
        return s.lower() in _ON
    if kind is int:
        lo, hi = RULE_LIMITS[key]
        return _check(key, limits.IntRange(f"“{name}”", lo, hi).check(s, field=key))
    return _check(key, None if s.lower() in ("", "off", "none") else s)


def shown_value(value) -> str:
    """A rule's value as `regdesk rules show` prints it and `rules set` reads it back."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return "off" if value is None else str(value)


def parse_assignments(items: list[str]) -> dict[str, object]:
    """KEY=VALUE arguments, every one checked before anything is saved (all or nothing)."""
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValidationError(f"应为 KEY=VALUE：{limits.shown(item)}")
        if key in out:
            raise ValidationError(f"规则 {limits.shown(key)} 出现了两次")
        out[key] = parse(key, value)
    return out
