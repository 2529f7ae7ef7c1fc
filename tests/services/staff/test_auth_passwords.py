"""Password hashing and input checks of services.staff.auth that need no database."""
from __future__ import annotations

import pytest

from services.errors import ValidationError
from services.staff import auth


def test_hash_is_argon2id_salted_and_verifies():
    a, b = auth.hash_password("clerk1234"), auth.hash_password("clerk1234")
    assert a.startswith("$argon2id$") and b.startswith("$argon2id$")
    assert a != b  # a fresh salt each time
    assert auth._verify(a, "clerk1234")
    assert not auth._verify(a, "clerk12345")
    assert not auth._verify("not-a-hash", "clerk1234")


@pytest.mark.parametrize("name, expected", [("Admin", "admin"), (" head_nk ", "head_nk"), ("a.b-c", "a.b-c")])
def test_username_normalized(name, expected):
    assert auth._norm_username(name) == expected


@pytest.mark.parametrize("name", ["", "x", "张三", "a b", "a" * 33, "semi;colon"])
def test_username_rejected(name):
    with pytest.raises(ValidationError, match="用户名"):
        auth._norm_username(name)


def test_password_and_role_rules():
    auth._check_password("12345678")
    for bad in ("", "1234567", "x" * 129):
        with pytest.raises(ValidationError):
            auth._check_password(bad)
    assert auth._check_role("head") == "head"
    with pytest.raises(ValidationError, match="未知角色"):
        auth._check_role("root")


def test_the_delay_grows_from_the_fifth_failure_and_stops_growing_at_15_minutes():
    from services.staff.throttle import delay_after
    seconds = [None if d is None else d.total_seconds() for d in map(delay_after, range(1, 13))]
    assert seconds == [None, None, None, None, 30, 60, 120, 240, 480, 900, 900, 900]


def test_production_parameters():
    from argon2 import extract_parameters
    p = extract_parameters(auth.hash_password("clerk1234"))
    assert p.type.name == "ID" and p.memory_cost >= 65536 and p.time_cost >= 2  # OWASP's argon2id floor
