"""Rules of the people domain, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from portal_kit.domain import DomainError
from portal_people.domain.contact import check_phone
from portal_people.domain.national_id import parse_national_id
from portal_people.domain.session import InvalidRefreshToken, RefreshTokenReused, SessionFamily
from portal_people.domain.throttle import LoginThrottle, LoginThrottled, ThrottlePolicy

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "raw", "masked", "born"),
    [
        ("NO", "151086 95088", "151086*****", date(1986, 10, 15)),
        ("SE", "19880320-0016", "880320*****", date(1988, 3, 20)),
        ("DK", "211062-5629", "211062*****", None),
        ("FI", "131052-308T", "131052*****", date(1952, 10, 13)),
    ],
)
def test_national_ids_are_checked_per_country_and_masked_after_the_birth_date(
    country, raw, masked, born
):
    parsed = parse_national_id(raw, country)
    assert parsed.masked == masked
    if born:
        assert parsed.birth_date == born
    assert parsed.value not in repr(parsed)


@pytest.mark.parametrize(
    ("country", "raw", "code"),
    [
        ("NO", "15108695089", "INVALID_CHECKSUM"),
        ("NO", "1510869508", "INVALID_NATIONAL_ID"),
        ("SE", "880320-0017", "INVALID_CHECKSUM"),
        ("FI", "131052-308A", "INVALID_CHECKSUM"),
        ("FI", "321352-308T", "INVALID_DATE"),
        ("NO", "x" * 10_000, "INVALID_NATIONAL_ID"),
    ],
)
def test_wrong_national_ids_name_the_problem(country, raw, code):
    with pytest.raises(DomainError) as refused:
        parse_national_id(raw, country)
    assert refused.value.code == code and refused.value.field == "nationalId"


def test_phones_are_read_as_the_tenants_country_writes_them():
    assert check_phone("0721234567", "SE", field="mobile") == "+46721234567"
    assert check_phone("412 44 845", "NO", field="mobile") == "+4741244845"
    assert check_phone("  ", "NO", field="mobile") is None
    with pytest.raises(DomainError):
        check_phone("12", "NO", field="mobile")


def test_a_throttle_locks_after_the_limit_and_doubles_each_time():
    policy = ThrottlePolicy(5, timedelta(minutes=15), timedelta(minutes=1), timedelta(minutes=3))
    throttle = LoginThrottle(id="t", tenant="jm", scope="account", user_id="u1")
    for _ in range(5):
        throttle.check(NOW)
        throttle.failed(NOW, policy)
    with pytest.raises(LoginThrottled):
        throttle.check(NOW + timedelta(seconds=59))
    throttle.check(NOW + timedelta(seconds=61))
    for _ in range(5):
        throttle.failed(NOW + timedelta(seconds=61), policy)
    assert throttle.locked_until == NOW + timedelta(seconds=61 + 120)
    for _ in range(15):
        throttle.failed(NOW + timedelta(hours=1), policy)
    assert throttle.locked_until == NOW + timedelta(hours=1, minutes=3)
    assert [e.name for e in throttle.take_events()] == ["locked"] * 5


def test_refresh_token_rotation_and_reuse():
    family = SessionFamily(
        id="f",
        tenant="jm",
        user_id="u",
        epoch=0,
        current_hash="h1",
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    family.rotate("h1", "h2", NOW, 0)
    with pytest.raises(RefreshTokenReused):
        family.rotate("h1", "h3", NOW, 0)
    assert family.revoked
    fresh = SessionFamily(
        id="g",
        tenant="jm",
        user_id="u",
        epoch=0,
        current_hash="h1",
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    with pytest.raises(InvalidRefreshToken):
        fresh.rotate("h1", "h2", NOW, 1)  # the password changed since: epoch moved on
    with pytest.raises(InvalidRefreshToken):
        fresh.rotate("h1", "h2", NOW + timedelta(days=31), 0)
    with pytest.raises(InvalidRefreshToken):
        fresh.rotate("unknown", "h2", NOW, 0)
    assert not fresh.revoked
