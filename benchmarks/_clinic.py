"""The benchmarks' hospital: one clinic day of evenly spaced slots and a set of patients, written in one
transaction (not through the services: a baseline must not pay for their audit and rules)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, text

from services.db import Database
from services.models import ClinicSession, Department, Doctor, Hospital, Patient, Slot


def clinic_day(db: Database, day: dt.date, *, slots: int, capacity: int, patients: int,
               ends_at: dt.time) -> tuple[list[int], list[int]]:
    """A published session from 08:00 to ``ends_at`` with ``slots`` five-minute slots of ``capacity``
    places, and ``patients`` patients. Returns (slot ids, patient ids)."""
    with db.write() as c:
        hid = c.execute(insert(Hospital).values(name="基准医院")).inserted_primary_key[0]
        dep = c.execute(insert(Department).values(hospital_id=hid, code="NK", name="内科")).inserted_primary_key[0]
        doc = c.execute(insert(Doctor).values(department_id=dep, name="王医生", title="主治医师", fee=25)
                        ).inserted_primary_key[0]
        sid = c.execute(insert(ClinicSession).values(
            doctor_id=doc, rostered_doctor_id=doc, day=day, period="am", starts_at=dt.time(8),
            ends_at=ends_at, status="published")).inserted_primary_key[0]
        start = dt.datetime.combine(day, dt.time(8))
        c.execute(insert(Slot), [{"session_id": sid, "capacity": capacity,
                                  "starts_at": (start + dt.timedelta(minutes=5 * i)).time(),
                                  "ends_at": (start + dt.timedelta(minutes=5 * i + 5)).time()}
                                 for i in range(slots)])
        c.execute(insert(Patient), [{"openid": f"o-bench-{i}", "name": f"患者{i}", "gender": "F",
                                     "phone": f"139{i:08d}"} for i in range(patients)])
        slot_ids = list(c.execute(text("SELECT id FROM slots ORDER BY id")).scalars())
        patient_ids = list(c.execute(text("SELECT id FROM patients ORDER BY id")).scalars())
    return slot_ids, patient_ids
