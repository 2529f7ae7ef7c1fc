"""What changed, as one plain value (Anki's OpChanges): the ids of the bookings, slots and sessions a
change touched and whether rules changed, whoever made it.

Two sources make the same value: a service operation's result (``BookingResult.changes``,
``StopSummary.changes``, ... : what this console just did) and the change feed
(``Changes.from_feed(batch)``: what anyone did, services.sync.feed.Change rows). The console
publishes both on one channel (console.common.changes.ChangeHub), and each page asks the value
what concerns it (``touched_bookings``, ``touches_sessions``, ``rules``) instead of reading
Change rows itself.

    done = Changes(bookings={12}, slots={3})
    done | Changes.from_feed(batch)      # several changes in one
    done.touched_bookings(shown_rows)    # the shown rows to read again
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.sync.feed import Change


def _ids(values: Iterable[int]) -> frozenset[int]:
    return values if isinstance(values, frozenset) else frozenset(values)


@dataclass(frozen=True)
class Changes:
    bookings: frozenset[int] = frozenset()  # bookings created or changed
    slots: frozenset[int] = frozenset()  # slots whose places may have moved: changed ones, and those of changed bookings
    sessions: frozenset[int] = frozenset()  # sessions changed themselves (hours, doctor, status) or created
    around: frozenset[int] = frozenset()  # sessions in which a booking or a slot changed
    rules: frozenset[str] = frozenset()  # keys of the rules changed
    new_sessions: bool = False  # sessions were created (in any week)
    unplaced: bool = False  # a booking or slot changed whose session is not known here
    everything: bool = False  # nobody can tell what changed (a gap in the feed, a poll): look at it all again

    def __post_init__(self) -> None:  # sets, lists and generators welcome: stored as frozensets
        for name in ("bookings", "slots", "sessions", "around", "rules"):
            object.__setattr__(self, name, _ids(getattr(self, name)))

    def __bool__(self) -> bool:
        return bool(self.everything or self.new_sessions or self.unplaced or self.bookings or self.slots
                    or self.sessions or self.around or self.rules)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.bookings | other.bookings, self.slots | other.slots, self.sessions | other.sessions,
                       self.around | other.around, self.rules | other.rules,
                       self.new_sessions or other.new_sessions, self.unplaced or other.unplaced,
                       self.everything or other.everything)

    @classmethod
    def merged(cls, many: Iterable[Changes]) -> Changes:
        out = NOTHING
        for c in many:
            out = out | c
        return out

    @classmethod
    def from_feed(cls, changes: Iterable[Change]) -> Changes:
        """What a batch of the change feed's rows (services.sync.feed.Change) touched."""
        bookings, slots, sessions, around, rules = set(), set(), set(), set(), set()
        new_sessions = unplaced = False
        for c in changes:
            if c.entity == "booking":
                bookings.add(int(c.entity_id))
            elif c.entity == "slot":
                slots.add(int(c.entity_id))
            elif c.entity == "session":
                sessions.add(int(c.entity_id))
                new_sessions = new_sessions or c.op == "insert"
                continue
            elif c.entity == "rule":
                rules.add(str(c.entity_id))
                continue
            else:
                continue
            if c.slot_id is not None:
                slots.add(c.slot_id)
            if c.session_id is not None:
                around.add(c.session_id)
            else:
                unplaced = True
        return cls(bookings, slots, sessions, around, rules, new_sessions, unplaced)

    def touched_bookings(self, rows: Iterable) -> set[int]:
        """The bookings these changes may have altered, of ``rows`` (with booking_id, slot_id and
        session_id) and beyond: the changed bookings themselves (they may be new here), and every row
        in a changed slot or session, whose places left (or doctor, after a substitution) may have
        moved with them. With ``everything`` the caller reloads instead."""
        ids = set(self.bookings)
        if self.slots or self.sessions:
            slots, sessions = self.slots, self.sessions
            ids |= {r.booking_id for r in rows if r.slot_id in slots or r.session_id in sessions}
        return ids

    def touches_sessions(self, shown: set[int]) -> bool:
        """Whether a view of the sessions ``shown`` (a roster week) may have to change: a session of
        it changed, or something in one, or a session was created, or it cannot be told."""
        return (self.everything or self.new_sessions or self.unplaced
                or bool((self.sessions | self.around) & shown))


NOTHING = Changes()
EVERYTHING = Changes(everything=True)
