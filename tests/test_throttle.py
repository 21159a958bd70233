"""The per-client limit behind the password check, the upload endpoint and the feedback log."""

from __future__ import annotations

import threading

from assistant.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_of_events_per_client():
    clock = Clock()
    t = Throttle(3, 60, clock=clock)
    assert all(t.allow("a") for _ in range(3)) and not t.allow("a")
    assert t.allow("b")  # another client has its own window
    assert 59 < t.wait_s("a") <= 60
    clock.now += 60.5
    assert t.wait_s("a") == 0 and t.allow("a")


def test_hits_count_without_asking_and_reset_forgets():
    t = Throttle(2, 60, clock=Clock())
    t.hit("x")
    t.hit("x")
    assert t.wait_s("x") > 0
    t.reset("x")
    assert t.wait_s("x") == 0


def test_threads_never_get_more_than_the_limit():
    t = Throttle(50, 60)
    allowed = []

    def work():
        allowed.extend(ok for _ in range(20) if (ok := t.allow("same")))

    threads = [threading.Thread(target=work) for _ in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(allowed) == 50
