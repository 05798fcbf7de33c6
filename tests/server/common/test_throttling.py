"""Throttles: a limit over any period, not per fixed window."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_limit_holds_over_any_period_not_per_fixed_window(monkeypatch):
    from backend.common import throttling

    now = [1000.0]
    monkeypatch.setattr(throttling.time, "monotonic", lambda: now[0])
    log = throttling.LocalLog()
    # 3 a minute: three late in one minute, then at the turn of the next, none more until a minute after each.
    taken = []
    for t in (50, 55, 59, 60.5, 65, 109.9, 110.1, 115.1, 119.5):
        now[0] = 1000.0 + t
        taken.append(log.take("c", 3, 60)[0])
    assert taken == [True, True, True, False, False, False, True, True, True]
    allowed, wait = log.take("c", 3, 60)
    assert not allowed and 0 < wait <= 60
