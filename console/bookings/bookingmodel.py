"""What the queue's and the day list's table models share (console.bookings.queuemodel, daymodel): a base
model over services.bookings.queries.BookingRow, whose column titles are translated in one context
("BookingModel"), the words a search finds a row by, and the columns both show: the booking's number, who
(patient, sex/age, phone) and where (department, doctor), its time and the places left. Each model puts
them in its own order and widths, beside its own columns.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP

from console.common import labels as L
from console.common.tablemodel import CENTER, RIGHT, Column, RowTableModel


class BookingModel(RowTableModel):
    tr_context = "BookingModel"  # its subclasses' column titles too

    @classmethod
    def search_text(cls, r) -> str:
        return f"{r.booking_id} {r.patient_name} {r.phone} {r.department_name} {r.doctor_name}".lower()


def number_column(width: int) -> Column:
    return Column("id", QT_TRANSLATE_NOOP("BookingModel", "No."), lambda r: str(r.booking_id),
                  sort=lambda r: r.booking_id, align=RIGHT, width=width)


def who_where_columns(patient: int, sexage: int, phone: int, department: int, doctor: int) -> tuple[Column, ...]:
    """The patient, sex/age, phone, department and doctor columns, in this order, this wide."""
    return (
        Column("patient", QT_TRANSLATE_NOOP("BookingModel", "Patient"), lambda r: r.patient_name, width=patient,
               elastic=3),  # most names whole
        Column("sexage", QT_TRANSLATE_NOOP("BookingModel", "Sex/Age"), lambda r: L.sex_age(r.gender, r.age),
               sort=lambda r: (r.gender, r.age if r.age is not None else -1), width=sexage),
        Column("phone", QT_TRANSLATE_NOOP("BookingModel", "Phone"), lambda r: r.phone, width=phone),
        Column("department", QT_TRANSLATE_NOOP("BookingModel", "Department"), lambda r: r.department_name,
               width=department, elastic=2),
        Column("doctor", QT_TRANSLATE_NOOP("BookingModel", "Doctor"), lambda r: r.doctor_name,
               sort=lambda r: r.doctor_name, tooltip=lambda r: f"{r.doctor_name} · {r.doctor_title}", width=doctor,
               elastic=2),
    )


def time_column(sort: Callable[[Any], Any]) -> Column:
    return Column("time", QT_TRANSLATE_NOOP("BookingModel", "Time"), lambda r: L.fmt_span(r.starts_at, r.ends_at),
                  sort=sort, width=100)


def _places(r) -> str:
    return "" if r.remaining is None else f"{max(r.remaining, 0)}/{r.capacity}"


def places_column(width: int, tooltip: Callable[[Any], str | None] | None = None) -> Column:
    """The places left in the booking's slot, of its capacity."""
    return Column("places", QT_TRANSLATE_NOOP("BookingModel", "Left"), _places,
                  sort=lambda r: r.remaining if r.remaining is not None else 0, align=CENTER, tooltip=tooltip,
                  width=width)
