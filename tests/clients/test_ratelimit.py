"""The sliding-window limiter, on a fake clock: bursts queue, windows slide, pauses hold."""

from __future__ import annotations

import asyncio

import pytest

from app.clients.ratelimit import SlidingWindowLimiter, ZendeskRateLimiter
from tests.conftest import FakeClock


async def test_burst_waits_until_window_slides():
    clock = FakeClock(now=0.0)
    limiter = SlidingWindowLimiter(2, 60, clock=clock, sleep=clock.sleep)
    started: list[float] = []

    async def call() -> None:
        await limiter.acquire()
        started.append(clock.now)

    await asyncio.gather(*(call() for _ in range(5)))
    assert started == [0, 0, 60, 60, 120]


async def test_window_slides_per_call_not_per_minute_boundary():
    clock = FakeClock(now=0.0)
    limiter = SlidingWindowLimiter(2, 10, clock=clock, sleep=clock.sleep)
    await limiter.acquire()  # t=0
    clock.now = 7
    await limiter.acquire()  # t=7
    assert await limiter.acquire() == pytest.approx(3)  # the t=0 slot frees at t=10
    assert clock.now == 10
    assert await limiter.acquire() == pytest.approx(7)  # the t=7 slot frees at t=17


async def test_updates_limited_separately_from_reads():
    clock = FakeClock(now=0.0)
    limiter = ZendeskRateLimiter(
        requests_per_minute=100, updates_per_minute=1, window_seconds=60, clock=clock,
        sleep=clock.sleep,
    )  # fmt: skip
    assert await limiter.acquire(is_update=True) == 0
    assert await limiter.acquire(is_update=False) == 0  # reads are not held by the update budget
    assert await limiter.acquire(is_update=True) == pytest.approx(60)


async def test_remaining_zero_with_reset_pauses_everyone():
    clock = FakeClock(now=0.0)
    limiter = ZendeskRateLimiter(
        requests_per_minute=100, updates_per_minute=100, clock=clock, sleep=clock.sleep
    )
    limiter.observe({"x-rate-limit-remaining": "0", "ratelimit-reset": "5"})
    assert limiter.paused_for == pytest.approx(5)
    assert await limiter.acquire(is_update=False) == pytest.approx(5)
    assert limiter.paused_for == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"ratelimit-remaining": "3", "ratelimit-reset": "5"},
        {"x-rate-limit-remaining": "0"},  # no reset known: leave it to the 429's Retry-After
        {},
        {"ratelimit-remaining": "garbage", "ratelimit-reset": "5"},
    ],
)
async def test_no_pause_without_exhaustion_or_reset(headers: dict[str, str]):
    clock = FakeClock(now=0.0)
    limiter = ZendeskRateLimiter(
        requests_per_minute=100, updates_per_minute=100, clock=clock, sleep=clock.sleep
    )
    limiter.observe(headers)
    assert limiter.paused_for == 0


def test_pause_extends_never_shortens():
    clock = FakeClock(now=0.0)
    limiter = ZendeskRateLimiter(
        requests_per_minute=1, updates_per_minute=1, clock=clock, sleep=clock.sleep
    )
    limiter.pause(10)
    limiter.pause(3)
    assert limiter.paused_for == 10


def test_rejects_nonsense_limits():
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 60)
    with pytest.raises(ValueError):
        SlidingWindowLimiter(1, 0)
