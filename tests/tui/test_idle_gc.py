"""Full garbage collections wait for a pause in the operator's input (``arterm.tui.idle_gc``).

Real collections: a full one is observed through ``gc.callbacks``; pending young collections are
made with ``gc.collect(1)`` (each counts one towards the next full collection)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from arterm.config import Settings, UiSettings
from arterm.db.engine import Database
from arterm.tui.app import ArtermApp
from arterm.tui.idle_gc import NEVER, IdleCollector
from .pilot_helpers import settle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """Generation-2 collections seen while the test runs."""
    seen: list[int] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            seen.append(1)

    saved = gc.get_threshold()
    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*saved)


def make_pending(n: int) -> None:
    gc.collect()  # none pending
    for _ in range(n):
        gc.collect(1)


def test_install_stops_automatic_full_collections_and_uninstall_restores(full_collections: list[int]) -> None:
    before = gc.get_threshold()
    collector = IdleCollector()
    collector.install()
    assert gc.get_threshold() == (before[0], before[1], NEVER)
    collector.install()  # twice: still restores the original ones
    collector.uninstall()
    assert gc.get_threshold() == before and gc.isenabled()


def test_install_turns_collection_back_on_after_the_start_up_imports(full_collections: list[int]) -> None:
    """``arterm`` turns collection off while it imports Textual (cli.open_app); the running app
    turns it on again, and restores the off state when it exits."""
    collector = IdleCollector()
    gc.disable()
    try:
        collector.install()
        assert gc.isenabled()
        collector.uninstall()
        assert not gc.isenabled()
    finally:
        gc.enable()


@contextmanager
def installed(**limits: int) -> Iterator[tuple[IdleCollector, Clock]]:
    """An installed collector on a fake clock (uninstalled afterwards)."""
    clock = Clock()
    collector = IdleCollector(idle=1.0, clock=clock, **limits)
    collector.install()
    try:
        yield collector, clock
    finally:
        collector.uninstall()


def test_collects_when_due_and_the_operator_pauses(full_collections: list[int]) -> None:
    with installed(due_after=10, force_after=200) as (collector, clock):
        make_pending(12)
        full_collections.clear()
        collector.input_seen()
        clock.now += 0.5
        assert not collector.tick() and not full_collections  # typing: wait
        clock.now += 0.6
        assert collector.tick() and full_collections  # a pause: collect now
        assert collector.pending() == 0
        full_collections.clear()
        clock.now += 5
        assert not collector.tick() and not full_collections  # nothing due


def test_overdue_collections_run_even_while_typing(full_collections: list[int]) -> None:
    with installed(due_after=10, force_after=30) as (collector, _clock):
        make_pending(31)
        full_collections.clear()
        collector.input_seen()
        assert collector.tick() and full_collections


async def test_the_app_collects_in_pauses_and_restores_python_on_exit(tmp_path: Path,
                                                                        full_collections: list[int]) -> None:
    before = gc.get_threshold()
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    app = ArtermApp(settings=Settings(ui=UiSettings(language="es")), url=str(db.url), operator="tester",
                    database=db, today=date(2026, 11, 28))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert gc.get_threshold()[2] == NEVER
            app.idle_gc.idle = 0.3
            typed_at = app.idle_gc.last_input
            await pilot.press("g")
            assert app.idle_gc.last_input > typed_at  # keys count as input
            make_pending(15)
            full_collections.clear()
            collections = app.idle_gc.collections
            for _ in range(40):
                await pilot.pause(0.05)
                if app.idle_gc.collections > collections:
                    break
            assert app.idle_gc.collections > collections and full_collections
        assert gc.get_threshold() == before
    finally:
        db.dispose()
