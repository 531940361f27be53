"""The profile screen kept between customers (screens/customer.py ``open_profile``).

The first profile of a session is built as any screen; when it closes it is kept and the next
customer is read into it before it is shown again. These tests open customers the way the
operator does (``commands.open_customer``: Enter on the customers screen, the palette) on a real
SQLite database, and check that nothing of one customer ever shows on another's profile.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from arterm.queries import lists
from arterm.queries.balances import customer_balances
from arterm.queries.customers import customer_detail
from arterm.tui.commands import open_customer
from arterm.tui.screens import customer as customer_module
from arterm.tui.screens.customer import CustomerScreen, kept_profile
from arterm.tui.screens.customers import CustomersScreen
from arterm.tui.widgets.tabs import ProfileTable
from arterm.tui.widgets.tabs.balances import BalancesTab, read_balances

from .pilot_helpers import settle
from .test_profile import (
    SIZE,
    TODAY,
    Ledger,
    build_profile_db,
    make_app,
    money,
    plain,
    screen_text,
)

OTHER = "Otro Cliente SA"
NANDU = "Ñandú"


@pytest.fixture
def led(tmp_path: Path) -> Any:
    ledger = build_profile_db(tmp_path / "kept.db")
    yield ledger
    ledger.db.dispose()


def header(screen: CustomerScreen) -> str:
    return plain(screen.query_one("#profile-identity", Static))


async def open_and_settle(pilot: Any, customer_id: int) -> CustomerScreen:
    open_customer(pilot.app, customer_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CustomerScreen) and screen.customer_id == customer_id
    return screen


async def back(pilot: Any) -> None:
    await pilot.press("escape")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CustomersScreen)


class Gate:
    """Holds ``read_balances`` (the kept screen's read) until released: a slow database."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        original = read_balances

        def held(app: Any, customer_id: int) -> Any:
            assert self.open.wait(30)
            return original(app, customer_id)

        monkeypatch.setattr(customer_module, "read_balances", held)


async def test_a_closed_profile_shows_the_next_customer_and_nothing_of_the_last(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = await open_and_settle(pilot, led.cid)
        assert NANDU in header(first)
        # Leave traces everywhere: a list tab with its cursor moved and a filter on, a half-typed
        # payment term, the Notes tab built.
        for key in ("3", "down", "down", "f", "7", "1"):
            await pilot.press(key)
            await settle(pilot)
        assert first.query_one(BalancesTab).query_one("#terms-input", Input).value == "30"
        await pilot.press("t", "backspace", "backspace", "4", "5")
        await settle(pilot)
        await pilot.press("escape")  # drops the typed terms and leaves the field
        await back(pilot)

        second = await open_and_settle(pilot, led.other)
        assert second is first is kept_profile(app)  # the kept screen, given the other customer
        text = screen_text(app)
        assert OTHER in header(second) and NANDU not in text
        assert second.tabs.active == "balances"
        with led.db.read() as s:
            other = customer_detail(s, led.other)
            (balance,) = customer_balances(s, [led.other], as_of=TODAY, include_zero=True)
        terms = second.query_one("#terms-input", Input)
        assert terms.value == str(other.payment_terms_days) and balance.total == 0
        assert "$0.00" in text and "$10,000.00" not in text
        # The list tabs are built again for this customer; the Sales filter is off again.
        await pilot.press("3")
        await settle(pilot)
        sales = second.query_one("#sales-table", ProfileTable)
        with led.db.read() as s:
            assert lists.count_documents(s, led.other, kinds=("invoice", "sales_note")) == 0
        assert sales.row_count == 0 and "Sin facturas ni notas de venta" in screen_text(app)
        await pilot.press("7")
        await settle(pilot)
        assert "Llamar el lunes" not in screen_text(app)
        await back(pilot)

        # And back to the first customer: all of its data, the cursor at the top.
        third = await open_and_settle(pilot, led.cid)
        assert third is first and NANDU in header(third)
        await pilot.press("3")
        await settle(pilot)
        sales = third.query_one("#sales-table", ProfileTable)
        with led.db.read() as s:
            assert sales.row_count == lists.count_documents(s, led.cid, kinds=("invoice", "sales_note")) > 0
        assert sales.cursor_row == 0


async def test_data_of_the_previous_customer_arriving_late_is_dropped(led: Ledger) -> None:
    """A read started for the last customer may finish after the screen got the next one."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_and_settle(pilot, led.cid)
        await back(pilot)
        await open_and_settle(pilot, led.other)
        late = read_balances(app, led.cid)  # what the last customer's read returns
        screen._show_header(late.detail, late.balances)
        screen.query_one(BalancesTab).show_data(late)
        screen._show_missing(led.cid)
        await settle(pilot)
        assert OTHER in header(screen) and NANDU not in screen_text(app)
        assert screen.query_one(BalancesTab).data.detail.id == led.other  # type: ignore[union-attr]


async def test_the_profile_waits_for_its_data_then_shows_loading_after_the_deadline(
        led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        kept = await open_and_settle(pilot, led.cid)
        await back(pilot)
        gate = Gate(monkeypatch)
        open_customer(app, led.other)
        assert kept.show_pending and isinstance(app.screen, CustomersScreen)  # not shown without data
        await pilot.pause(customer_module.SHOW_DEADLINE * 4)
        assert app.screen is kept and not kept.show_pending  # shown anyway, saying it is loading
        await pilot.pause()
        text = screen_text(app)
        assert "Cargando cliente" in header(kept) and NANDU not in text
        # Nor the last customer's balances: the Balances tab is empty until the data comes.
        with led.db.read() as s:
            (nandu,) = [b for b in customer_balances(s, [led.cid], as_of=TODAY) if b.currency == "MXN"]
        assert nandu.total and money(nandu.total) not in text and money(nandu.overdue) not in text
        assert kept.query_one("#terms-input", Input).value == ""
        gate.open.set()
        await settle(pilot)
        assert OTHER in header(kept)


async def test_keys_typed_right_after_enter_go_to_the_profile(led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """'3' pressed while the profile waits for its data: the profile shows at once, on Sales."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        customers = app.screen
        kept = await open_and_settle(pilot, led.cid)
        await back(pilot)
        gate = Gate(monkeypatch)
        open_customer(app, led.other)
        assert kept.show_pending
        app.post_message(events.Key("3", "3"))
        await pilot.pause()
        assert app.screen is kept and kept.tabs.active == "sales"
        assert customers.search.value == ""  # the key did not go to the search box
        gate.open.set()
        await settle(pilot)
        assert OTHER in header(kept)
        assert kept.query_one("#sales-table", ProfileTable).row_count == 0


async def test_language_switched_while_the_profile_was_closed(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        kept = await open_and_settle(pilot, led.cid)
        await back(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.lang == "en"
        again = await open_and_settle(pilot, led.other)
        assert again is kept
        text = screen_text(app)
        assert "1 Balances" in text and "3 Sales" in text and "1 Saldos" not in text
        assert "Payment terms" in text and "Condiciones de pago" not in text


async def test_theme_changed_while_the_profile_was_closed(led: Ledger) -> None:
    """Textual restyles only the screens on the stack when the theme changes; the kept one is
    restyled when it is shown again."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        kept = await open_and_settle(pilot, led.cid)
        before = kept.query_one("#profile-header").styles.background
        await back(pilot)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(pilot)
        await open_and_settle(pilot, led.other)
        after = kept.query_one("#profile-header").styles.background
        fresh = CustomerScreen(led.other)  # what a screen built under the new theme looks like
        await app.push_screen(fresh)
        await settle(pilot)
        assert after != before
        assert after == fresh.query_one("#profile-header").styles.background


async def test_a_profile_opened_from_the_kept_one_is_a_new_screen(led: Ledger) -> None:
    """The palette's 'go to customer' from a profile: a second profile on the stack, removed when
    closed; the kept one underneath still shows its own customer."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        kept = await open_and_settle(pilot, led.cid)
        second = await open_and_settle(pilot, led.other)
        assert second is not kept and kept_profile(app) is kept
        assert OTHER in header(second)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is kept and NANDU in header(kept)
        assert not second.is_attached


async def test_the_footer_rebuilds_its_keys_only_when_they_change(led: Ledger) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_and_settle(pilot, led.cid)
        keys = list(screen.query(FooterKey))
        screen.refresh_bindings()  # same keys: nothing to rebuild
        await settle(pilot)
        assert list(screen.query(FooterKey)) == keys
        await pilot.press("3")  # the Sales table has the focus: Enter opens, 'f' filters
        await settle(pilot)
        now = list(screen.query(FooterKey))
        assert now != keys and any(key.key == "f" for key in now)
        await back(pilot)
        await open_and_settle(pilot, led.other)  # shown again with the keys it had: not rebuilt
        assert not any(key.key == "f" for key in screen.query(FooterKey))


async def test_reopened_while_it_is_still_emptying(led: Ledger) -> None:
    """Escape and Enter on another customer at once: the screen finishes forgetting the last
    customer, then reads the next one."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        kept = await open_and_settle(pilot, led.cid)
        await pilot.press("3")
        await settle(pilot)
        app.pop_screen()
        assert kept._forgetting  # from the moment it is off the stack
        open_customer(app, led.other)  # before anything else ran
        await settle(pilot)
        assert app.screen is kept and OTHER in header(kept) and NANDU not in screen_text(app)
        assert kept.tabs.active == "balances"


async def test_a_screen_that_fails_to_empty_is_not_kept(led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, *a, **k: seen.append(str(message)))
        kept = await open_and_settle(pilot, led.cid)

        async def broken(self: Any) -> None:
            raise RuntimeError("cannot empty")

        monkeypatch.setattr(BalancesTab, "forget", broken)
        await back(pilot)
        assert kept_profile(app) is None and not kept.is_attached
        assert any("cannot empty" in message for message in seen)
        fresh = await open_and_settle(pilot, led.other)
        assert fresh is not kept and kept_profile(app) is fresh  # a new screen, kept in its place
        assert OTHER in header(fresh)


@pytest.mark.parametrize("where", ["search", "table"])
async def test_enter_and_a_tab_key_in_one_read_open_the_profile_on_that_tab(led: Ledger, where: str) -> None:
    """"Enter 5" typed fast, or arriving in one read over SSH: the profile opens on Payments and
    the "5" does not end up in the search box. First the screen being built, then the kept one."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        for customer_id, typed in ((led.cid, "nandu"), (led.other, "otro"), (led.cid, "nandu")):
            customers.search.value = typed
            await settle(pilot)
            if where == "table":
                customers.table.focus()
                await settle(pilot)
            assert customers.table.cursor_key == customer_id
            app.post_message(events.Key("enter", None))
            app.post_message(events.Key("5", "5"))
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CustomerScreen) and screen.customer_id == customer_id
            assert screen.tabs.active == "payments"
            assert customers.search.value == typed
            await back(pilot)


async def test_keys_typed_after_enter_while_the_search_runs_go_to_the_profile(led: Ledger) -> None:
    """A name, Enter and a tab number typed in one go (the search has not answered yet when
    Enter comes): the first match opens on that tab; the number is not added to the search."""
    app = make_app(led)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        for customer_id, typed, tab_key, tab in ((led.cid, "nandu", "5", "payments"),
                                                (led.other, "otro", "3", "sales")):
            for char in typed:
                app.post_message(events.Key(char, char))
            app.post_message(events.Key("enter", None))
            app.post_message(events.Key(tab_key, tab_key))
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CustomerScreen) and screen.customer_id == customer_id
            assert screen.tabs.active == tab
            assert customers.search.value == typed and not customers.held_keys
            await back(pilot)
            customers.search.value = ""
            await settle(pilot)
        # Enter with nothing to open: the keys that followed are typed into the search box.
        for key in ("z", "z", "z", "enter", "q"):
            app.post_message(events.Key(key, None if key == "enter" else key))
        await settle(pilot)
        assert app.screen is customers and customers.search.value == "zzzq"
