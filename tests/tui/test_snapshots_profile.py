"""Snapshots of every tab of the customer profile in Spanish and English (120x40).

Each SVG in ``__snapshots__/test_snapshots_profile/`` was rendered to PNG and reviewed by eye before
it was accepted. Regenerate with ``--snapshot-update`` only after looking at the new pictures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from arterm.tui.widgets.tabs import PROFILE_TABS

from .pilot_helpers import settle_steady
from .test_profile import HOSTILE_NAME, HOSTILE_NOTE, Ledger, build_profile_db, make_app, open_profile, show

SIZE = (120, 40)


@pytest.fixture(scope="module")
def utc() -> Iterator[None]:
    """Times are shown in local time: pin the zone for reproducible pictures."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "UTC")
    time.tzset()
    yield
    mp.undo()
    time.tzset()


@pytest.fixture(scope="module")
def snap_led(tmp_path_factory: pytest.TempPathFactory, utc: None) -> Iterator[Ledger]:
    led = build_profile_db(tmp_path_factory.mktemp("snap") / "profile.db")
    yield led
    led.db.dispose()


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("tab", PROFILE_TABS, ids=[cls.TAB_ID for cls in PROFILE_TABS])
def test_profile_tab(snap_compare: Any, snap_led: Ledger, tab: Any, lang: str) -> None:
    app = make_app(snap_led, lang)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_profile(pilot, snap_led.cid)
        await show(pilot, str(tab.NUMBER))
        await settle_steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_profile_hostile_text(snap_compare: Any, tmp_path_factory: pytest.TempPathFactory, utc: None) -> None:
    led = build_profile_db(tmp_path_factory.mktemp("hostile") / "profile.db", name=HOSTILE_NAME, note=HOSTILE_NOTE)
    app = make_app(led)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_profile(pilot, led.cid)
        await show(pilot, "7")
        await pilot.press("down")
        await settle_steady(pilot)

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        led.db.dispose()
