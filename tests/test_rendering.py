"""Hostile text from the database renders inert: visible escapes and literal brackets on screen, and no
escape byte of it reaches the terminal (checked on the bytes a real pseudo-terminal receives)."""

from __future__ import annotations

import os
import pty
import re
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

from rich.text import Text

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.lists.spec import Column, Kind
from rcmd_tui.screens.detail import DetailScreen, JsonTree
from rcmd_tui.widgets.cells import cell
from rcmd_tui.widgets.row_grid import Cell
from rcmd_tui.widgets.safe_text import inert
from tests.helpers import goto, settle, table_of
from tests.listdata import fill_rcmd

HOSTILE = ("\x1b]52;c;aGk=\x07", "\x1b[2J", "\x9b31m", "ok\rERROR", "[bold red]x[/]", "[link=http://x]y[/link]",
           "[@click=app.quit]x[/]", "\u202egpj.exe")
VISIBLE = ("\\x1b]52;c;aGk=\\x07", "\\x1b[2J", "\\x9b31m", "ok\\rERROR", "[bold red]x[/]", "[link=http://x]y[/link]",
           "[@click=app.quit]x[/]", "<U+202E>gpj.exe")
FORBIDDEN_BYTES = (b"\x1b]52;c;aGk=", b"\xc2\x9b", b"ok\rERROR", b"\xe2\x80\xae", b"\x1b[2J\x1b[2J")


def _control_free(text: Text | Cell) -> bool:
    return not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in text.plain)


def _inert_cell(value: object) -> bool:
    """Never a markup string: Rich Text, or a list cell of plain text and one style."""
    return isinstance(value, Text | Cell) and not value.spans and _control_free(value)


def test_cells_are_inert_text_with_visible_escapes() -> None:
    for raw, visible in zip(HOSTILE, VISIBLE, strict=True):
        for rendered in (inert(raw), cell(Column("x", "x"), raw), inert(raw.encode("utf-8"))):
            assert _inert_cell(rendered) and rendered.plain == visible
            assert _control_free(rendered)
    # invalid UTF-8 (a Redis value) stays visible, as a bytes literal: never like the text \xff of a valid value
    assert inert(b"\xff\xfeok\x1b").plain == "b'\\xff\\xfeok\\x1b'"
    assert inert(b"\\xff").plain == "\\xff"
    json_cell = cell(Column("d", "d", Kind.JSON), {"k": HOSTILE[0], HOSTILE[6]: HOSTILE[7]})
    assert _control_free(json_cell) and "[@click=app.quit]x[/]" in json_cell.plain and "<U+202E>" in json_cell.plain
    assert inert("x" * 5000).plain.endswith("…") and len(inert("x" * 5000).plain) == 2001


async def test_list_and_details_show_hostile_values_literally(profile: Profile) -> None:
    fill_rcmd(profile, rows=20, hostile=HOSTILE)
    app = make_app(profile)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "audit")
        table = table_of(app)
        cells = [table.get_row_at(i) for i in range(len(HOSTILE))]
        plain = "\n".join(c.plain for row in cells for c in row)
        assert all(_inert_cell(c) for row in cells for c in row)
        for visible in VISIBLE:
            assert visible[:12] in plain
        await pilot.press("down", "enter")  # the second newest holds [@click=app.quit]
        await settle(pilot, app)
        assert isinstance(app.screen, DetailScreen)
        tree = app.screen.query_one(JsonTree)
        labels = []
        stack = [tree.root]
        while stack:
            node = stack.pop()
            labels.append(node.label)
            stack.extend(node.children)
        assert all(isinstance(label, Text) and _control_free(label) for label in labels)
        assert any("[@click=app.quit]x[/]" in label.plain for label in labels)
        assert app.is_running  # [@click=app.quit] did not quit anything


def _plain(output: bytes) -> bytes:
    return re.sub(rb"\x1b\[[0-9;?<>=$]*[A-Za-z~]", b"", output)  # Textual's own cursor moves and colours


def _read(fd: int, until: bytes | None = None, seconds: float = 15) -> bytes:
    """What the terminal receives until ``until`` shows (or time runs out), then until it goes quiet."""
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end and (until is None or until not in _plain(out)):
        if not select.select([fd], [], [], 0.3 if until is None else 0.1)[0]:
            if until is None:
                break
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out if until is None else out + _read(fd)


def test_no_hostile_byte_reaches_a_real_terminal(profile: Profile, tmp_path: Path) -> None:
    import fcntl
    import termios

    fill_rcmd(profile, rows=20, hostile=HOSTILE)
    assert profile.rcmd_redis_url is not None
    _store_hostile_redis(profile.rcmd_redis_url)
    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(profile), encoding="utf-8")
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 220, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    for inherited in ("NO_COLOR", "COLUMNS", "LINES"):  # the pty's own size must decide (xdist workers set these)
        env.pop(inherited, None)
    proc = subprocess.Popen([sys.executable, "-m", "rcmd_tui", "--config", str(config)], stdin=secondary, stdout=secondary,
                            stderr=secondary, env=env, close_fds=True, start_new_session=True)
    os.close(secondary)
    try:
        output = _read(primary, b"DemoFileKeyring")
        os.write(primary, b":")
        output += _read(primary, b":audit rcmd")
        os.write(primary, b"audit\r")
        output += _read(primary, b"Time (UTC)")
        os.write(primary, b"\x1b[B")  # down: the row holding [@click=app.quit]
        output += _read(primary)
        os.write(primary, b"\r")  # its details
        output += _read(primary, b"Details {")
        os.write(primary, b"\x1b")  # back to the list
        output += _read(primary)
        os.write(primary, b":")
        output += _read(primary, b":redis rcmd")
        os.write(primary, b"redis\r")
        output += _read(primary, b"a:hostile")
        os.write(primary, b"\x1b[B\x1b[B")  # a:hostile, third in name order
        output += _read(primary)
        os.write(primary, b"\r")
        output += _read(primary, b"|\\xff\\xfe")  # the value's last item, not just its status line
        os.write(primary, b"\x11")  # ctrl+q
        output += _read(primary, b"\x1b[?1049l", 5)
    finally:
        proc.kill()
        proc.wait()
        os.close(primary)
    assert b"RCMD audit log" in output, output[-2000:]
    for forbidden in FORBIDDEN_BYTES:
        assert forbidden not in output, forbidden
    text = _plain(output)
    assert b"\\x1b]52;c;aGk=" in text and b"<U+202E>gpj.exe" in text, text[-3000:]
    assert b"[@click=app.quit]x[/]" in text
    assert b"|\\xff\\xfe" in text  # invalid UTF-8 from Redis, shown as escapes


def _store_hostile_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.set(b"a:hostile", "|".join(HOSTILE).encode() + b"|\xff\xfe")
    client.hset(b"a:hash", mapping={HOSTILE[6].encode(): HOSTILE[0].encode(), b"bad\xff": b"\x9b\xc0"})
    client.rpush(b"a:list", *(h.encode() for h in HOSTILE))
    client.set(b"[@click=app.quit]key\x1b[2J", b"v")
    client.close()


async def test_redis_keys_and_values_render_inert_including_invalid_utf8(profile: Profile) -> None:
    from rcmd_tui.screens.redis_keys import RedisKeysScreen, RedisValueScreen
    from rcmd_tui.widgets.row_grid import RowGrid

    assert profile.rcmd_redis_url is not None
    _store_hostile_redis(profile.rcmd_redis_url)
    app = make_app(profile)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "redis")
        assert isinstance(app.screen, RedisKeysScreen)
        names = [row[1] for row in app.screen.query_one(RowGrid).rows]  # after the mark column
        assert all(_control_free(n) for n in names)
        assert "[@click=app.quit]key\\x1b[2J" in [n.plain for n in names]
        for key, expected in ((b"a:hostile", ("\\x1b]52;c;aGk=\\x07", "\\xe2\\x80\\xaegpj.exe", "\\xff\\xfe", "ok\\rERROR")),
                              (b"a:hash", ("bad\\xff", "\\x9b\\xc0", "[@click=app.quit]x[/]")),
                              (b"a:list", ("[link=http://x]y[/link]", "\\x1b[2J"))):
            index = [n.plain for n in names].index(key.decode())
            app.screen.query_one(RowGrid).move_cursor(row=index, moved=False)
            await pilot.press("enter")
            await settle(pilot, app)
            assert isinstance(app.screen, RedisValueScreen)
            cells = [c for row in app.screen.query_one(RowGrid).rows for c in row]
            assert all(isinstance(c, Text) and _control_free(c) for c in cells)
            plain = "\n".join(c.plain for c in cells)
            for text in expected:
                assert text in plain, (key, text, plain)
            await pilot.press("escape")
            await settle(pilot, app)
        assert app.is_running
