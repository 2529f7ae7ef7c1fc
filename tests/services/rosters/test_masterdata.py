"""Departments and doctors: listing, look-up by code, saving with validation, permissions, audit."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.errors import NotFound, PermissionDenied, ValidationError
from services.models import AuditLog, Department, Doctor
from services.rosters import masterdata
from services.staff.actor import SYSTEM, Actor
from tests import factories as f

ADMIN = Actor(kind="staff", name="admin1", role="admin")
HEAD = Actor(kind="staff", name="head1", role="head")


def _counts(db):
    with db.read() as c:
        return (c.execute(select(func.count()).select_from(Department)).scalar_one(),
                c.execute(select(func.count()).select_from(Doctor)).scalar_one(),
                c.execute(select(func.count()).select_from(AuditLog)).scalar_one())


def test_hospital_and_departments(db):
    with pytest.raises(NotFound):
        masterdata.hospital(db)
    f.hospital(db)
    h = masterdata.hospital(db)
    assert h.name == "测试人民医院" and h.active
    nk = masterdata.save_department(db, ADMIN, "NK", "内科")
    wk = masterdata.save_department(db, ADMIN, "WK", "外科", active=False)
    assert [d.code for d in masterdata.list_departments(db)] == ["NK"]
    assert [d.code for d in masterdata.list_departments(db, include_inactive=True)] == ["NK", "WK"]
    assert masterdata.department_by_code(db, "nk") == nk
    assert masterdata.department_by_code(db, " WK ").id == wk.id
    with pytest.raises(NotFound, match="没有科室代码 EK"):
        masterdata.department_by_code(db, "EK")


def test_save_department_rules(db):
    f.hospital(db)
    nk = masterdata.save_department(db, ADMIN, "NK", "内科")
    before = _counts(db)
    with pytest.raises(ValidationError, match="科室代码 nk 已被 内科 使用"):
        masterdata.save_department(db, ADMIN, "nk", "另一个内科")
    with pytest.raises(ValidationError, match="科室名称不能为空"):
        masterdata.save_department(db, ADMIN, "XK", "  ")
    with pytest.raises(ValidationError, match="只能包含"):
        masterdata.save_department(db, ADMIN, "内 科", "内科")
    with pytest.raises(PermissionDenied):
        masterdata.save_department(db, HEAD, "XK", "新科")
    with pytest.raises(NotFound):
        masterdata.save_department(db, ADMIN, "XK", "新科", department_id=nk.id + 100)
    assert _counts(db) == before
    renamed = masterdata.save_department(db, ADMIN, "NK", "普通内科", department_id=nk.id)
    assert renamed.name == "普通内科" and renamed.id == nk.id
    with db.read() as c:
        actions = c.execute(select(AuditLog.action).where(AuditLog.entity == "department")
                            .order_by(AuditLog.id)).scalars().all()
    assert actions == ["create", "update"]


def test_save_and_list_doctors(db):
    f.hospital(db)
    nk = masterdata.save_department(db, ADMIN, "NK", "内科")
    wk = masterdata.save_department(db, ADMIN, "WK", "外科")
    a = masterdata.save_doctor(db, ADMIN, nk.id, "王医生", "主任医师", "50", specialty="心血管")
    b = masterdata.save_doctor(db, SYSTEM, wk.id, "李医生", "住院医师", Decimal("0"))
    assert a.fee == Decimal("50.00") and a.department_code == "NK" and a.specialty == "心血管"
    assert b.fee == Decimal("0.00")
    assert [d.name for d in masterdata.list_doctors(db)] == ["王医生", "李医生"]
    assert [d.id for d in masterdata.list_doctors(db, department_id=wk.id)] == [b.id]
    off = masterdata.save_doctor(db, ADMIN, nk.id, "王医生", "主任医师", "55.5", active=False, doctor_id=a.id)
    assert off.fee == Decimal("55.50") and not off.active
    assert [d.id for d in masterdata.list_doctors(db)] == [b.id]
    assert {d.id for d in masterdata.list_doctors(db, include_inactive=True)} == {a.id, b.id}
    assert next(d for d in masterdata.list_doctors(db, include_inactive=True) if d.id == a.id) == off


@pytest.mark.parametrize("fee, message", [
    ("-1", "诊查费不能为负数"), ("12.345", "最多两位小数"), ("abc", "不是有效金额"),
    ("NaN", "不是有效金额"), ("1000000", "超过上限"),
])
def test_doctor_fee_validation(db, fee, message):
    dep = f.department(db)
    before = _counts(db)
    with pytest.raises(ValidationError, match=message):
        masterdata.save_doctor(db, ADMIN, dep, "赵医生", "主治医师", fee)
    assert _counts(db) == before


def test_doctor_other_validation(db):
    dep = f.department(db)
    before = _counts(db)
    with pytest.raises(ValidationError, match="职称 教授 无效"):
        masterdata.save_doctor(db, ADMIN, dep, "赵医生", "教授", "10")
    with pytest.raises(ValidationError, match="医生姓名不能为空"):
        masterdata.save_doctor(db, ADMIN, dep, "", "主治医师", "10")
    with pytest.raises(NotFound, match="没有科室"):
        masterdata.save_doctor(db, ADMIN, dep + 99, "赵医生", "主治医师", "10")
    with pytest.raises(PermissionDenied):
        masterdata.save_doctor(db, Actor(kind="staff", name="c", role="clerk"), dep, "赵医生", "主治医师", "10")
    masterdata.save_department(db, ADMIN, "NK", "内科", active=False, department_id=dep)
    before = _counts(db)
    with pytest.raises(ValidationError, match="已停用"):
        masterdata.save_doctor(db, ADMIN, dep, "赵医生", "主治医师", "10")
    assert _counts(db) == before
