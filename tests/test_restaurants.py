"""OrderSync restaurants and menus (`:restaurants`, `:menus`) against the seeded demo data: names decrypted, the
owner masked, counts per page, a name that does not decrypt, the filters and the indexes that serve them, the
leads between a restaurant, its menus and its orders, the report, and the screen at 80x24."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.crypto.decrypt import Failure, Plain
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.keyset import page_query
from rcmd_tui.data.lists.spec import ListSpec, Record
from rcmd_tui.data.ordersync.restaurants import ORDERSYNC_MENUS, ORDERSYNC_RESTAURANTS, SOLD_OUT
from rcmd_tui.screens.detail import DetailScreen, JsonTree
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.cells import cell
from tests.helpers import open_console, opened_services, run_cli
from tests.terminal import console_in_terminal

RESTAURANTS, MENUS = ORDERSYNC_RESTAURANTS, ORDERSYNC_MENUS


@pytest.fixture
def sql(seeded: Profile) -> Iterator[psycopg.Connection[Any]]:
    """A plain autocommit connection to the seeded copy's OrderSync schema, to read the truth and plant rows."""
    assert seeded.ordersync is not None
    with psycopg.connect(seeded.ordersync.dsn, options=f"-c search_path={seeded.ordersync.schema}", autocommit=True) as conn:
        yield conn


def _plant_sold_out(sql: psycopg.Connection[Any]) -> tuple[str, str]:
    """The newest restaurant's first menu sold out for today (as the application leaves it: unavailable); its ids."""
    row = sql.execute("SELECT m.restaurant_id::text, m.id::text FROM menus m JOIN restaurants r ON r.id = m.restaurant_id "
                      "ORDER BY r.created_at DESC, r.id DESC, m.category, m.sort_order, m.id LIMIT 1").fetchone()
    assert row is not None
    sql.execute("UPDATE menus SET daily_limit = 5, sold_count = 5, is_available = false WHERE id = %s", [row[1]])
    return row[0], row[1]


async def _rows(profile: Profile, spec: ListSpec, text: str = "") -> list[Record]:
    async with opened_services(profile) as services:
        page = await open_source(spec, services, flt=compile_filter(spec, text)).first()
    return list(page.records)


def _shown(spec: ListSpec, record: Record, name: str) -> str:
    return cell(spec.column(name), record.get(name)).plain


async def test_names_show_decrypted_the_owner_masked_and_each_count_matches_the_tables(seeded: Profile,
                                                                                       sql: psycopg.Connection[Any]) -> None:
    truth = {str(r[0]): r[1:] for r in sql.execute(
        "SELECT r.id, r.name_search, (SELECT count(*) FROM menus m WHERE m.restaurant_id = r.id), "
        "(SELECT count(*) FROM orders o WHERE o.restaurant_id = r.id AND o.status NOT IN ('COMPLETED', 'CANCELLED')), "
        "(SELECT count(*) FROM orders o WHERE o.restaurant_id = r.id AND o.created_at >= date_trunc('day', now(), 'UTC')) "
        "FROM restaurants r")}
    rows = await _rows(seeded, RESTAURANTS)
    assert len(rows) == len(truth) == 40  # the small seed: one page
    assert [r.get("created_at") for r in rows] == sorted((r.get("created_at") for r in rows), reverse=True)
    for r in rows:
        name, menus, open_orders, today = truth[str(r.get("id"))]
        assert isinstance(r.get("name"), Plain) and _shown(RESTAURANTS, r, "name") == name  # the business's words, whole
        owner = r.get("owner_email")
        assert isinstance(owner, Plain) and "@" in owner.text
        assert _shown(RESTAURANTS, r, "owner_email") != owner.text and "*" in _shown(RESTAURANTS, r, "owner_email")
        for masked in ("address", "phone"):
            assert "*" in _shown(RESTAURANTS, r, masked)
        assert (r.get("menus"), r.get("open_orders"), r.get("orders_today")) == (menus, open_orders, today)
        assert isinstance(r.get("business_hours"), dict)
    assert sum(r.get("open_orders") for r in rows) > 0 and all(r.get("menus") >= 8 for r in rows)


async def test_a_restaurant_whose_name_does_not_decrypt_shows_the_failure_and_the_rest_of_its_row(
        seeded: Profile, sql: psycopg.Connection[Any]) -> None:
    row = sql.execute("SELECT id::text, category, status FROM restaurants ORDER BY created_at DESC LIMIT 1 OFFSET 3").fetchone()
    assert row is not None
    # The address's ciphertext moved into the name: sealed for another column, so it must not pass as the name.
    sql.execute("UPDATE restaurants SET name_encrypted = address_encrypted, name_key_id = address_key_id WHERE id = %s", [row[0]])
    rows = {str(r.get("id")): r for r in await _rows(seeded, RESTAURANTS)}
    broken = rows.pop(row[0])
    assert isinstance(broken.get("name"), Failure)
    assert _shown(RESTAURANTS, broken, "name").startswith("⚠ ")
    assert (broken.get("category"), broken.get("status")) == (row[1], row[2])
    assert "*" in _shown(RESTAURANTS, broken, "owner_email") and broken.get("menus") >= 8
    assert all(isinstance(r.get("name"), Plain) for r in rows.values())  # the others are untouched
    menus = await _rows(seeded, MENUS, f"restaurant={row[0]}")  # its menus name it as failing too, and still list
    assert menus and all(isinstance(m.get("restaurant"), Failure) and isinstance(m.get("name"), Plain) for m in menus)
    async with open_console(seeded, "restaurants") as c:
        await c.press("/", *f"id={row[0]}", "enter")
        await c.settle()
        assert [str(r.get("id")) for r in c.table.window] == [row[0]]
        await c.press("enter")
        await c.settle()
        assert isinstance(c.screen, DetailScreen)
        tree = "\n".join(str(n.label) for n in c.screen.query_one(JsonTree).root.children)
        assert "Name: " in tree and isinstance(broken.get("name"), Failure) and broken.get("name").kind.value in tree
        assert f"Category: {row[1]}" in tree


async def test_each_filter_finds_what_it_names(seeded: Profile, sql: psycopg.Connection[Any]) -> None:
    rows = await _rows(seeded, RESTAURANTS)
    first = rows[0]
    owner_email = first.get("owner_email").text  # decrypted in memory; the filter hashes it, never decrypts the table
    owned = await _rows(seeded, RESTAURANTS, f"owner={owner_email.upper()}")
    assert owned and {r.get("owner_id") for r in owned} == {first.get("owner_id")}
    assert [r.get("id") for r in await _rows(seeded, RESTAURANTS, f"owner={first.get('owner_id')}")] == [r.get("id") for r in owned]
    brand = first.get("name").text.split()[0]
    named = await _rows(seeded, RESTAURANTS, f'name="{brand.lower()}"')
    expected = {r[0] for r in sql.execute("SELECT id FROM restaurants WHERE %s = ANY(string_to_array(lower(name_search), ' '))",
                                          [brand.lower()])}
    assert named and {r.get("id") for r in named} == expected
    assert all(brand in r.get("name").text for r in named)
    category = first.get("category")
    assert {r.get("category") for r in await _rows(seeded, RESTAURANTS, f"category={category}")} == {category}
    sql.execute("UPDATE restaurants SET status = 'SUSPENDED' WHERE id = %s", [first.get("id")])
    assert first.get("id") in {r.get("id") for r in await _rows(seeded, RESTAURANTS, "status=suspended")}
    assert [r.get("id") for r in await _rows(seeded, RESTAURANTS, f"id={first.get('id')}")] == [first.get("id")]
    async with opened_services(seeded) as services:
        source = open_source(RESTAURANTS, services, flt=compile_filter(RESTAURANTS, "owner=nobody@example.com"))
        assert not (await source.first()).records
        assert "nobody has the e-mail 'nobody@example.com'" in (await source.why_empty() or "")


def _plan(sql: psycopg.Connection[Any], spec: ListSpec, text: str, after: bool, seqscan: bool = False) -> str:
    """The plan of a page of ``spec`` under ``text`` (after a row, when ``after``); with sequential scans off unless
    ``seqscan``: which index can serve it, as the seeded tables are small enough to be rightly read whole."""
    ordering = spec.ordering()
    sample = sql.execute(psycopg.sql.SQL("SELECT {} FROM {} LIMIT 1").format(
        psycopg.sql.SQL(", ").join(psycopg.sql.Identifier(c) for c in ordering.columns), psycopg.sql.Identifier(spec.table))).fetchone()
    query, params = page_query(spec, ordering, compile_filter(spec, text), list(sample) if after and sample else None, 101)
    with sql.transaction():
        sql.execute(f"SET LOCAL enable_seqscan = {'on' if seqscan else 'off'}")
        cur = psycopg.ClientCursor(sql)
        cur.execute(psycopg.sql.SQL("EXPLAIN ") + query, params)
        return "\n".join(r[0] for r in cur.fetchall())


@pytest.mark.parametrize(("spec", "text", "index"), [
    (RESTAURANTS, "", "idx_restaurants_created_id"),
    (MENUS, "", "idx_menus_restaurant_category_id"),
])
def test_every_page_is_read_in_order_from_an_index(sql: psycopg.Connection[Any], spec: ListSpec, text: str, index: str) -> None:
    for after in (False, True):
        plan = _plan(sql, spec, text, after)
        assert index in plan and "Sort" not in plan, plan  # read in the list's order, never sorted whole
    # One restaurant's menus (tens) come by an index on restaurant_id; the planner may sort so few.
    assert "Index Scan using idx_menus_restaurant" in _plan(sql, MENUS, f"restaurant={uuid.UUID(int=1)}", True)


def test_the_name_search_is_served_by_its_gin_index(sql: psycopg.Connection[Any]) -> None:
    # As many restaurants as the large demo has, none of them a 교촌치킨, so the planner has a choice to make.
    sql.execute("INSERT INTO restaurants (owner_id, name_encrypted, name_key_id, address_encrypted, address_key_id, "
                "phone_encrypted, phone_key_id, name_search, category, created_at) "
                "SELECT owner_id, name_encrypted, name_key_id, address_encrypted, address_key_id, phone_encrypted, phone_key_id, "
                "'Filler ' || n, category, created_at - n * interval '1 minute' FROM restaurants, generate_series(1, 125) AS n")
    sql.execute("ANALYZE restaurants")
    for after in (False, True):
        plan = _plan(sql, RESTAURANTS, "name=교촌치킨", after, seqscan=True)
        assert "idx_restaurants_name_search" in plan, plan


async def test_a_restaurants_detail_leads_to_its_menus_and_orders_and_a_menu_back_to_it(seeded: Profile,
                                                                                         sql: psycopg.Connection[Any]) -> None:
    restaurant, menu = _plant_sold_out(sql)
    truth = sql.execute("SELECT count(*), (SELECT count(*) FROM orders WHERE restaurant_id = %s) FROM menus "
                        "WHERE restaurant_id = %s", [restaurant, restaurant]).fetchone()
    assert truth is not None
    async with open_console(seeded, "restaurants") as c:
        newest = c.table.current()
        assert newest is not None and str(newest.get("id")) == restaurant  # newest first
        name = newest.get("name").text
        await c.press("enter")
        await c.settle()
        assert isinstance(c.screen, DetailScreen)
        await c.press("m")
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == "menus"
        assert c.screen.filter.text == f"restaurant={restaurant}"
        menus = list(c.table.window)
        assert len(menus) == truth[0] and {str(m.get("restaurant_id")) for m in menus} == {restaurant}
        assert {_shown(MENUS, m, "restaurant") for m in menus} == {name}
        assert all(isinstance(m.get("name"), Plain) and "*" not in _shown(MENUS, m, "name") for m in menus)
        keys = [(m.get("category"), m.get("sort_order")) for m in menus]
        assert keys == sorted(keys)  # as the restaurant shows them: by category, then its own order
        sold_out = next(m for m in menus if str(m.get("id")) == menu)
        assert _shown(MENUS, sold_out, "stock") == SOLD_OUT and _shown(MENUS, sold_out, "is_available") == "no"
        for m in menus:  # what is left of today's limit, in words
            limit, sold, stock = m.get("daily_limit"), m.get("sold_count"), _shown(MENUS, m, "stock")
            assert stock == ("no limit" if limit is None else SOLD_OUT if sold >= limit else f"{limit - sold} left")
        await c.press("/", "ctrl+u", *f'restaurant={restaurant} "sold out"', "enter")  # words: the loaded rows showing them
        await c.settle()
        kept = [str(m.get("id")) for m in c.table.shown_records]
        assert menu in kept and kept == [str(m.get("id")) for m in menus if _shown(MENUS, m, "stock") == SOLD_OUT]
        await c.press("enter")
        await c.settle()
        assert isinstance(c.screen, DetailScreen)
        await c.press("r")
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == "restaurants"
        assert [str(r.get("id")) for r in c.table.window] == [restaurant]
        await c.press("enter")
        await c.settle()
        await c.press("o")
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == "orders"
        assert c.screen.filter.text == f"restaurant={restaurant}"
        assert len(c.table.window) == min(truth[1], 100) and {str(o.get("restaurant_id")) for o in c.table.window} == {restaurant}
        await c.press("escape", "u")
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == "users" and c.screen.spec.system == "ordersync"
        assert [r.get("id") for r in c.table.window] == [newest.get("owner_id")]


async def test_menus_filter_by_availability_category_and_restaurant_name(seeded: Profile, sql: psycopg.Connection[Any]) -> None:
    restaurant, menu = _plant_sold_out(sql)
    unavailable = await _rows(seeded, MENUS, "available=no")
    assert menu in {str(m.get("id")) for m in unavailable} and not any(m.get("is_available") for m in unavailable)
    row = sql.execute("SELECT r.name_search, m.category FROM restaurants r JOIN menus m ON m.restaurant_id = r.id "
                      "WHERE r.id = %s LIMIT 1", [restaurant]).fetchone()
    assert row is not None
    by_name = await _rows(seeded, MENUS, f'restaurant="{row[0]}" category={row[1]}')
    assert by_name and restaurant in {str(m.get("restaurant_id")) for m in by_name}
    assert {m.get("category") for m in by_name} == {row[1]}
    assert all(row[0] in _shown(MENUS, m, "restaurant") for m in by_name)


@pytest.fixture
def config(seeded: Profile, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(seeded), encoding="utf-8")
    return {"RCMD_TUI_CONFIG": str(path)}


def test_the_reports_print_names_decrypted_and_owners_masked(config: dict[str, str], sql: psycopg.Connection[Any]) -> None:
    restaurant, _menu = _plant_sold_out(sql)
    done = run_cli(["report", "restaurants", "ordersync", "--format", "json", "--limit", "5"], config)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    newest = [r[0] for r in sql.execute("SELECT name_search FROM restaurants ORDER BY created_at DESC, id DESC LIMIT 5")]
    assert [r["name"] for r in rows] == newest  # the shown columns, names whole
    for row in rows:
        assert "*" in row["owner_email"] and "@" in row["owner_email"]
        assert isinstance(row["menus"], int) and isinstance(row["open_orders"], int)
    table = run_cli(["report", "restaurants", "os", "--limit", "3"], config)
    assert table.returncode == 0 and table.stdout.split()[:4] == ["Name", "Category", "Status", "Owner"]
    menus = run_cli(["report", "menus", "os", "--filter", f"restaurant={restaurant}", "--format", "json", "--limit", "0"], config)
    assert menus.returncode == 0, menus.stderr
    listed = json.loads(menus.stdout)
    assert SOLD_OUT in {m["stock"] for m in listed} and {m["restaurant"] for m in listed} == {newest[0]}


def test_at_80x24_the_restaurants_and_a_menu_list_show_names_and_sold_out(seeded: Profile, tmp_path: Path,
                                                                          sql: psycopg.Connection[Any]) -> None:
    restaurant, _menu = _plant_sold_out(sql)
    row = sql.execute("SELECT name_search FROM restaurants WHERE id = %s", [restaurant]).fetchone()
    assert row is not None
    with console_in_terminal(seeded, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"restaurants", "enter")
        term.wait_for("Owner")
        screen = term.text()
        assert row[0][:8] in screen  # the newest restaurant's name, decrypted
        assert "@" in screen and "*" in screen  # its owner, masked
        term.press("enter")
        term.wait_for("Category: ")
        term.press("m")
        term.wait_for("OrderSync menus")
        term.wait_for(SOLD_OUT)
        heading = next(line for line in term.screen.display if "Price" in line)
        assert heading.split()[:4] == ["Menu", "Category", "Price", "Disc%"]
        assert f"restaurant={restaurant}"[:20] in term.text()  # the lead's filter, in the status line
