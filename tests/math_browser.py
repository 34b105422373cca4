"""Helpers for the math browser tests: a built site over real HTTP, Chromium with every system
math font hidden, and where a piece of a formula really draws ink.

Hiding: a fontconfig file (given to Chromium through FONTCONFIG_FILE) that includes the system
configuration and rejects every font family of which any file has an OpenType MATH table, or
whose name says it is a math font (STIX's old families, which lack the table). Debian's DejaVu
Sans and Serif carry a MATH table, so they go too. `hidden_fonts_config` checks the result with
`fc-list`: a font with a MATH table still listed fails the test, never passes it.

Ink: a MathML element's box does not tell where it draws (a stretched accent reports a width
of 0), so `ink_box` paints every other glyph of the formula transparent, takes a screenshot of
the formula and finds the pixels that differ from the background.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import struct
import subprocess
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from browser import WAIT_MS
from playwright.sync_api import FloatRect, Page, sync_playwright

# ---------------------------------------------------------------------------------------------
# fonts


def sfnt_tables(path: Path) -> set[bytes]:
    """The table tags of an OpenType/TrueType file, or of every font in a collection (.ttc)."""
    with path.open("rb") as file:
        header = file.read(12)
        if header[:4] == b"ttcf":
            (count,) = struct.unpack(">I", header[8:12])
            offsets: tuple[int, ...] = struct.unpack(f">{count}I", file.read(4 * count))
        else:
            offsets = (0,)
        tags: set[bytes] = set()
        for offset in offsets:
            file.seek(offset)
            directory = file.read(12)
            if len(directory) < 12:
                continue
            (tables,) = struct.unpack(">H", directory[4:6])
            records = file.read(16 * tables)
            tags.update(records[i : i + 4] for i in range(0, len(records), 16))
        return tags


def has_math_table(path: Path) -> bool:
    try:
        return b"MATH" in sfnt_tables(path)
    except OSError:
        return False


def listed_fonts(config: Path | None = None) -> list[tuple[Path, str]]:
    """(file, first family name) of every font fontconfig lists, with `config` if given."""
    env = dict(os.environ)
    if config is not None:
        env["FONTCONFIG_FILE"] = str(config)
    result = subprocess.run(
        ["fc-list", "--format", "%{file}\t%{family[0]}\n"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    rows = [line.split("\t", 1) for line in result.stdout.splitlines() if "\t" in line]
    return [(Path(file), family) for file, family in rows]


def is_math_family(family: str) -> bool:
    return "math" in family.lower() or family.upper().startswith("STIX")


def find_fc_list() -> None:
    if shutil.which("fc-list") is None:
        reason = "fc-list (Debian's fontconfig) is needed to hide the system math fonts"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)


def hidden_fonts_config(folder: Path) -> Path:
    """A fontconfig file that hides every system math font; fails if one is still listed."""
    find_fc_list()
    fonts = listed_fonts()
    math_families = {
        family for file, family in fonts if has_math_table(file) or is_math_family(family)
    }
    rejected = sorted({str(file) for file, family in fonts if family in math_families})
    globs = "\n".join(f"    <glob>{escape(file)}</glob>" for file in rejected)
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <selectfont>\n  <rejectfont>\n{globs}\n  </rejectfont>\n  </selectfont>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    still = [
        f"{file} ({family})"
        for file, family in listed_fonts(config)
        if has_math_table(file) or is_math_family(family)
    ]
    assert not still, f"math fonts still visible through {config}: {still}"
    return config


# ---------------------------------------------------------------------------------------------
# serving and the browser


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 for the files in `folder`; yields its base URL."""
    handler = functools.partial(_QuietFiles, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def browser_with_fonts(executable: str, fonts_config: Path | None) -> Iterator[Page]:
    """A page of a Chromium that sees only the fonts `fonts_config` lets through."""
    env: dict[str, str | float | bool] = dict(os.environ)
    if fonts_config is not None:
        env["FONTCONFIG_FILE"] = str(fonts_config)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], env=env
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            browser.close()


def open_settled(page: Page, url: str) -> None:
    """Open `url` and wait until every font it asked for has loaded or failed."""
    response = page.goto(url)
    assert response is not None and response.ok, f"GET {url}: {response and response.status}"
    # Laying the page out starts the load of every font it uses; then wait for all of them.
    page.wait_for_function(
        """async () => {
          document.body.getBoundingClientRect();
          await document.fonts.ready;
          return [...document.fonts].every(face => face.status !== 'loading');
        }"""
    )


# ---------------------------------------------------------------------------------------------
# ink


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float


def png_rows(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit, non-interlaced PNG (what
    Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunk = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if chunk == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, (depth, interlace)
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif chunk == b"IDAT":
            idat += body
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])  # filter type
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                nearest = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + nearest) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows, channels


# Only `target` (and what is inside it) keeps its colour; everything else on the page, text,
# borders, backgrounds, is made transparent, so the only ink left in a screenshot is the target's.
_ISOLATE = """([selector, index, borderOnly]) => {
  const all = document.querySelectorAll(selector);
  const target = all[index < 0 ? all.length + index : index];
  if (!target) return null;
  target.setAttribute('data-ink', '');
  const style = document.createElement('style');
  style.id = 'ink-style';
  style.textContent = `
    *, *::before, *::after {
      color: transparent !important; background: transparent !important;
      border-color: transparent !important; box-shadow: none !important;
      text-decoration-color: transparent !important; text-emphasis-color: transparent !important;
    }
    html { background: #fff !important; }
    [data-ink], [data-ink] * { color: #000 !important; }
    ${borderOnly ? `[data-ink] { border-color: #000 !important; }
                    [data-ink] * { color: transparent !important; }` : ''}`;
  document.head.append(style);
  target.closest('.math-display')?.scrollTo(0, 0);
  const box = target.closest('math').getBoundingClientRect();
  return {x: box.left + window.scrollX, y: box.top + window.scrollY,
          width: box.width, height: box.height};
}"""
_RESTORE = """() => {
  document.getElementById('ink-style')?.remove();
  document.querySelectorAll('[data-ink]').forEach(e => e.removeAttribute('data-ink'));
}"""
MARGIN = 12  # CSS px around the formula's box: ink may reach outside it
INK = 160  # a channel below this, on white, is ink; anti-aliasing's faint fringe is not


def ink_box(page: Page, selector: str, index: int = 0, *, border_only: bool = False) -> Box:
    """Where the `index`-th element matching `selector` draws, in CSS px of the page: its text,
    or with `border_only` its own border and nothing else."""
    area = page.evaluate(_ISOLATE, [selector, index, border_only])
    assert area is not None, f"no element {selector!r} #{index} in {page.url}"
    try:
        clip: FloatRect = {
            "x": max(0.0, area["x"] - MARGIN),
            "y": max(0.0, area["y"] - MARGIN),
            "width": area["width"] + 2 * MARGIN,
            "height": area["height"] + 2 * MARGIN,
        }
        shot = page.screenshot(clip=clip, full_page=True, animations="disabled")
    finally:
        page.evaluate(_RESTORE)
    width, _, rows, channels = png_rows(shot)
    scale = width / clip["width"]
    inked = [
        (x, y)
        for y, row in enumerate(rows)
        for x in range(width)
        if min(row[x * channels : x * channels + 3]) < INK
    ]
    assert inked, f"{selector!r} #{index} draws nothing in {page.url}"
    xs = [x for x, _ in inked]
    ys = [y for _, y in inked]
    return Box(
        left=clip["x"] + min(xs) / scale,
        top=clip["y"] + min(ys) / scale,
        width=(max(xs) - min(xs) + 1) / scale,
        height=(max(ys) - min(ys) + 1) / scale,
    )
