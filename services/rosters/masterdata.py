"""Master data: the hospital, its departments and doctors (what the mini-program lists for patients).

regdesk serves one hospital per database: ``hospital(db)`` is the first active one, and
department codes are looked up within it. Editing needs the ``masterdata.edit`` permission.
Nothing is ever deleted here (sessions and bookings refer to doctors): a department or a
doctor is switched off with ``active=False``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services import limits
from services.db import Database, row_by_id
from services.errors import NotFound, ValidationError
from services.models import Department, Doctor, Hospital
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

TITLES = ("主任医师", "副主任医师", "主治医师", "住院医师")
MAX_FEE = Decimal("999999.99")  # Numeric(8, 2)
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class HospitalInfo:
    id: int
    name: str
    address: str | None
    phone: str | None
    active: bool


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    hospital_id: int
    code: str
    name: str
    active: bool


@dataclass(frozen=True)
class DoctorInfo:
    id: int
    department_id: int
    department_code: str
    department_name: str
    name: str
    title: str
    specialty: str | None
    fee: Decimal
    active: bool


# ---------------------------------------------------------------- reading

def _hospital_row(conn: Connection):
    row = conn.execute(select(Hospital).where(Hospital.active.is_(True)).order_by(Hospital.id).limit(1)).first()
    if row is None:
        raise NotFound("数据库中还没有启用的医院（请先运行 regdesk demo seed 或导入基础数据）")
    return row


def hospital(db: Database) -> HospitalInfo:
    """The hospital this database serves (the first active one)."""
    with db.read() as conn:
        r = _hospital_row(conn)
    return HospitalInfo(r.id, r.name, r.address, r.phone, bool(r.active))


def _dep_info(r) -> DepartmentInfo:
    return DepartmentInfo(r.id, r.hospital_id, r.code, r.name, bool(r.active))


def list_departments(db: Database, include_inactive: bool = False) -> list[DepartmentInfo]:
    q = select(Department).order_by(Department.hospital_id, Department.code)
    if not include_inactive:
        q = q.where(Department.active.is_(True))
    with db.read() as conn:
        return [_dep_info(r) for r in conn.execute(q)]


def get_department(db: Database, department_id: int) -> DepartmentInfo:
    with db.read() as conn:
        return department_in(conn, department_id)


def department_in(conn: Connection, department_id: int) -> DepartmentInfo:
    """The department inside a caller's transaction (NotFound if there is none)."""
    return _dep_info(row_by_id(conn, select(Department).where(Department.id == department_id), department_id,
                               "科室 ID"))


def department_by_code(db: Database, code: str) -> DepartmentInfo:
    """The department of this hospital with this code (case-insensitive), active or not."""
    wanted = (code or "").strip()
    with db.read() as conn:
        hid = _hospital_row(conn).id
        rows = conn.execute(select(Department).where(Department.hospital_id == hid)).all()
    for r in rows:  # compared in Python: collations differ between the three databases
        if r.code == wanted:
            return _dep_info(r)
    for r in rows:
        if r.code.lower() == wanted.lower():
            return _dep_info(r)
    raise NotFound(f"没有科室代码 {limits.shown(wanted)}")


def _doctor_query():
    return (select(Doctor, Department.code.label("department_code"), Department.name.label("department_name"))
            .join(Department, Department.id == Doctor.department_id))


def _doc_info(r) -> DoctorInfo:
    return DoctorInfo(r.id, r.department_id, r.department_code, r.department_name, r.name, r.title,
                      r.specialty, Decimal(r.fee).quantize(Decimal("0.01")), bool(r.active))


def list_doctors(db: Database, department_id: int | None = None, include_inactive: bool = False) -> list[DoctorInfo]:
    with db.read() as conn:
        return doctors_in(conn, department_id, include_inactive)


def doctors_in(conn: Connection, department_id: int | None = None, include_inactive: bool = False) -> list[DoctorInfo]:
    """list_doctors inside a caller's transaction."""
    q = _doctor_query().order_by(Department.code, Doctor.name, Doctor.id)
    if department_id is not None:
        q = q.where(Doctor.department_id == department_id)
    if not include_inactive:
        q = q.where(Doctor.active.is_(True))
    return [_doc_info(r) for r in conn.execute(q)]


def doctor_in(conn: Connection, doctor_id: int) -> DoctorInfo:
    """The doctor inside a caller's transaction (NotFound if there is none)."""
    return _doc_info(row_by_id(conn, _doctor_query().where(Doctor.id == doctor_id), doctor_id, "医生 ID"))


# ---------------------------------------------------------------- validation

def parse_fee(value) -> Decimal:
    """A fee in yuan: not negative, at most two decimals, fits decimal(8,2)."""
    if isinstance(value, bool):
        raise ValidationError(f"诊查费不是有效金额：{value}", field="fee")
    try:
        fee = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"诊查费不是有效金额：{value}", field="fee") from None
    if not fee.is_finite():
        raise ValidationError(f"诊查费不是有效金额：{value}", field="fee")
    if fee < 0:
        raise ValidationError(f"诊查费不能为负数：{value}", field="fee")
    if fee != fee.quantize(Decimal("0.01")):
        raise ValidationError(f"诊查费最多两位小数：{value}", field="fee")
    if fee > MAX_FEE:
        raise ValidationError(f"诊查费 {value} 超过上限 {MAX_FEE}", field="fee")
    return fee.quantize(Decimal("0.01"))


# ---------------------------------------------------------------- editing

def save_department(db: Database, actor: Actor, code: str, name: str, active: bool = True,
                    department_id: int | None = None) -> DepartmentInfo:
    """Create a department (department_id None) or change one. Codes are unique in the hospital."""
    actor.require("masterdata.edit", department_id)
    code = limits.text(code, "科室代码", 32, field="code")
    if not _CODE_RE.match(code):
        raise ValidationError(f"科室代码只能包含字母、数字、- 和 _：{code}", field="code")
    name = limits.text(name, "科室名称", 100, field="name")

    def tx(conn: Connection) -> DepartmentInfo:
        if department_id is None:
            hid = _hospital_row(conn).id
        else:
            before = department_in(conn, department_id)
            hid = before.hospital_id
        for other in conn.execute(select(Department.id, Department.code, Department.name)
                                  .where(Department.hospital_id == hid)):
            if other.id != department_id and other.code.lower() == code.lower():
                raise ValidationError(f"科室代码 {code} 已被 {other.name} 使用", field="code")
        values = {"code": code, "name": name, "active": bool(active)}
        if department_id is None:
            new_id = conn.execute(insert(Department).values(hospital_id=hid, **values)).inserted_primary_key[0]
            audit.record(conn, actor, "create", "department", new_id, values)
            return department_in(conn, new_id)
        conn.execute(update(Department).where(Department.id == department_id).values(**values))
        audit.record(conn, actor, "update", "department", department_id,
                     {"before": {"code": before.code, "name": before.name, "active": before.active}, **values})
        return department_in(conn, department_id)

    try:
        return db.run(tx)
    except IntegrityError:
        # two admins saved the same code at once: the unique constraint decided; the tx is rolled back
        raise ValidationError(f"科室代码 {code} 已被使用", field="code") from None


def save_doctor(db: Database, actor: Actor, department_id: int, name: str, title: str, fee,
                specialty: str | None = None, active: bool = True, doctor_id: int | None = None) -> DoctorInfo:
    """Create a doctor (doctor_id None) or change one; fee in yuan, title one of TITLES."""
    actor.require("masterdata.edit", department_id)
    name = limits.text(name, "医生姓名", 100, field="name")
    if title not in TITLES:
        raise ValidationError(f"职称 {title} 无效，应为：{'、'.join(TITLES)}", field="title")
    fee = parse_fee(fee)
    specialty = limits.text(specialty, "擅长", 300, required=False, field="specialty")

    def tx(conn: Connection) -> DoctorInfo:
        dep = department_in(conn, department_id)
        before = doctor_in(conn, doctor_id) if doctor_id is not None else None
        if not dep.active and (before is None or before.department_id != dep.id):
            raise ValidationError(f"科室 {dep.name} 已停用，不能添加医生", field="department_id")
        if before is not None and before.department_id != department_id:
            actor.require("masterdata.edit", before.department_id)
        values = {"department_id": department_id, "name": name, "title": title, "fee": fee,
                  "specialty": specialty, "active": bool(active)}
        if before is None:
            new_id = conn.execute(insert(Doctor).values(**values)).inserted_primary_key[0]
            audit.record(conn, actor, "create", "doctor", new_id, values)
            return doctor_in(conn, new_id)
        conn.execute(update(Doctor).where(Doctor.id == doctor_id).values(**values))
        audit.record(conn, actor, "update", "doctor", doctor_id,
                     {"before": {k: getattr(before, k) for k in values}, **values})
        return doctor_in(conn, doctor_id)

    return db.run(tx)
