"""Text a person types (names, reasons, notes): one check for all of it, and safe printing.

A name is shown on screens, printed in terminals, written into Excel and sent in WeChat
messages, so it must not hide anything: control characters (an escape sequence rewrites a
terminal; a newline splits a log line), format characters (bidi overrides such as U+202E turn
``exe.txt`` into what looks like ``txt.exe``; zero-width characters make two equal-looking
names differ), line and paragraph separators, surrogates and private-use characters are all
refused, with a message saying where. Ordinary spaces, including the ideographic space U+3000,
are allowed.
"""
from __future__ import annotations

import unicodedata

from services.errors import ValidationError

# Unicode general categories that never belong in a name or a reason
_REFUSED = {"Cc": "控制字符", "Cf": "不可见的格式字符", "Cs": "代理字符", "Co": "私用字符",
            "Zl": "换行符", "Zp": "分段符"}


def hidden_character(text: str) -> tuple[int, str] | None:
    """(position, description) of the first character a person must not type, or None."""
    for i, ch in enumerate(text):
        kind = _REFUSED.get(unicodedata.category(ch))
        if kind is not None:
            return i, f"{kind} U+{ord(ch):04X}"
    return None


def clean_text(value: object, what: str, max_len: int, *, required: bool = True) -> str | None:
    """``value`` stripped, or ValidationError naming ``what`` when it is empty (and required), too long,
    or holds an invisible or control character. Returns None for an empty optional value."""
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise ValidationError(f"请填写{what}")
        return None
    bad = hidden_character(text)
    if bad is not None:
        raise ValidationError(f"{what}含有不允许的字符（第 {bad[0] + 1} 个字符：{bad[1]}）")
    if len(text) > max_len:
        raise ValidationError(f"{what}过长（{len(text)} 个字符，最多 {max_len} 个）")
    return text


def printable(text: object) -> str:
    """``text`` for a terminal: every refused character (also in rows written before they were
    refused, or by another program) shown as a visible escape such as ``\\x1b`` or ``\\u202e``."""
    out = []
    for ch in "" if text is None else str(text):
        if unicodedata.category(ch) in _REFUSED:
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)
