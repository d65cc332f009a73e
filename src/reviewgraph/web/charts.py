"""Charts drawn on the server as accessible SVG: horizontal bars, stacked bars, small
multiples and a hex map.

Every chart scales to its box (a viewBox, width 100%), so it reads at 390 px as at 1280 px:
bars are horizontal with their label on a line of its own above them, so long labels never
squeeze the bars. A chart is an image to assistive technology (role="img" with <title> and
<desc>); the page gives the same figures as a table. The hex map is the exception: its
areas are links, so it is a group of links, each named by its own <title>. Colours are
colour-blind safe: Okabe and Ito's palette for categories, viridis steps for counts.
Nothing here knows about requests or the graph: callers pass labels, numbers and links.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

WIDTH = 360  # user units across; the SVG is drawn at the width of its box (a phone: 1:1)
FONT = 13
LABEL_CHARS = 48  # a label longer than this is cut with an ellipsis (the table has it whole)
# Okabe & Ito (2008), black left out (it is the text colour): distinguishable with any
# common colour-vision deficiency.
CATEGORY_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                    "#F0E442")
REST_COLOUR = "#b8bec6"  # "not recorded" and the like
# Viridis at five steps, light (few) to dark (many); the last hex colour of "none" is grey.
SEQUENTIAL_COLOURS = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
NONE_COLOUR = "#eceff3"
BAR_COLOUR = "#1a4fb5"
TEXT_COLOUR = "#1b1b1b"
MUTED_COLOUR = "#4a4f57"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    note: str = ""  # shown after the value ("12%")


@dataclass(frozen=True)
class Stack:
    label: str
    parts: tuple[int, ...]  # one per series, in the series' order
    total: int | None = None  # shown at the bar's end (default: the sum of the parts)


@dataclass(frozen=True)
class Panel:
    """One small multiple: a label and a value per column (None: too few to show)."""

    label: str
    values: tuple[float | None, ...]
    note: str = ""


@dataclass(frozen=True)
class Hex:
    q: int
    r: int
    title: str  # the area and its figure, the hex's accessible name
    colour: str
    href: str | None = None


def short(label: str, limit: int = LABEL_CHARS) -> str:
    """`label` cut at a word boundary to `limit` characters, with an ellipsis."""
    if len(label) <= limit:
        return label
    cut = label[:limit - 1].rsplit(" ", 1)[0] or label[:limit - 1]
    return cut.rstrip(" ,;:-") + "…"


def colour_of(index: int) -> str:
    return CATEGORY_COLOURS[index % len(CATEGORY_COLOURS)]


def _open(ident: str, title: str, description: str, height: float, role: str = "img",
          kind: str = "chart") -> str:
    ident = str(escape(ident))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{kind}" role="{role}" '
            f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} '
            f'{math.ceil(height)}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'font-family="inherit" font-size="{FONT}" fill="{TEXT_COLOUR}">\n'
            f'<title id="{ident}-title">{escape(title)}</title>\n'
            f'<desc id="{ident}-desc">{escape(description)}</desc>\n')


def _value_text(x: float, y: float, value: int, note: str) -> str:
    text = f"{value:,}" + (f" ({note})" if note else "")
    return f'<text x="{x:.1f}" y="{y:.1f}" dominant-baseline="middle">{escape(text)}</text>\n'


ROW = 38  # a bar's label line and the bar beneath it
BAR_HEIGHT = 14
VALUE_ROOM = 80  # room right of the longest bar for its figure


def bar_chart(ident: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one a row, each with its label above and its figure at its end."""
    highest = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - VALUE_ROOM
    parts = [_open(ident, title, description, len(bars) * ROW + 4)]
    for index, bar in enumerate(bars):
        top = index * ROW
        length = 0.0 if not bar.value else max(1.5, bar.value / highest * span)
        parts.append(
            f'<text x="0" y="{top + FONT}">{escape(short(bar.label))}</text>\n'
            f'<rect x="0" y="{top + 18}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{BAR_COLOUR}"></rect>\n')
        parts.append(_value_text(length + 5, top + 18 + BAR_HEIGHT / 2, bar.value, bar.note))
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(series: Sequence[str], colours: Sequence[str] | None = None) -> Markup:
    """The key of a chart's colours, as an HTML list (it wraps on a narrow screen)."""
    colours = colours or [colour_of(index) for index in range(len(series))]
    items = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>'
        f"{escape(name)}</li>" for name, colour in zip(series, colours, strict=True))
    return Markup(f'<ul class="legend" aria-label="Key">{items}</ul>')


def stacked_bar_chart(ident: str, title: str, description: str, series: Sequence[str],
                      stacks: Sequence[Stack], last_is_rest: bool = False) -> Markup:
    """Horizontal bars split by series (each series its colour, in the legend's order),
    the total at the end of each bar; `last_is_rest`: the last series (e.g. "not recorded")
    is grey."""
    colours = [colour_of(index) for index in range(len(series))]
    if last_is_rest and colours:
        colours[-1] = REST_COLOUR
    highest = max((sum(stack.parts) for stack in stacks), default=0) or 1
    span = WIDTH - VALUE_ROOM
    parts = [_open(ident, title, description, len(stacks) * ROW + 4)]
    for index, stack in enumerate(stacks):
        top = index * ROW
        parts.append(f'<text x="0" y="{top + FONT}">{escape(short(stack.label))}</text>\n')
        x = 0.0
        for position, value in enumerate(stack.parts):
            if not value:
                continue
            length = value / highest * span
            parts.append(f'<rect x="{x:.1f}" y="{top + 18}" width="{length:.1f}" '
                         f'height="{BAR_HEIGHT}" fill="{colours[position]}"></rect>\n')
            x += length
        total = sum(stack.parts) if stack.total is None else stack.total
        parts.append(_value_text(x + 5, top + 18 + BAR_HEIGHT / 2, total, ""))
    parts.append("</svg>")
    return Markup(legend(series, colours) + Markup("\n") + Markup("".join(parts)))


PANEL = 88  # a small multiple: label and note lines, bars, first and last column names
PANEL_BARS = 36


def small_multiples(ident: str, title: str, description: str, columns: Sequence[str],
                    panels: Sequence[Panel]) -> Markup:
    """One row of thin bars per panel (e.g. a theme's share of each year's reviews), all on
    one scale; a column without a value (None) is marked with a short dash on the axis."""
    highest = max((v for panel in panels for v in panel.values if v is not None),
                  default=0.0) or 1.0
    count = max(1, len(columns))
    step = WIDTH / count
    width = max(1.0, step - 2)
    parts = [_open(ident, title, description, len(panels) * PANEL + 4)]
    for index, panel in enumerate(panels):
        top = index * PANEL
        parts.append(f'<text x="0" y="{top + FONT}">{escape(short(panel.label))}</text>\n')
        if panel.note:
            parts.append(f'<text x="0" y="{top + FONT + 15}" font-size="11" '
                         f'fill="{MUTED_COLOUR}">{escape(short(panel.note, 56))}</text>\n')
        base = top + 32 + PANEL_BARS
        parts.append(f'<line x1="0" x2="{WIDTH}" y1="{base}" y2="{base}" '
                     f'stroke="{MUTED_COLOUR}" stroke-width="1"></line>\n')
        for column, value in enumerate(panel.values):
            x = column * step + 1
            if value is None:
                parts.append(f'<rect x="{x:.1f}" y="{base - 2}" width="{width:.1f}" '
                             f'height="2" fill="{MUTED_COLOUR}"></rect>\n')
                continue
            height = 0.0 if not value else max(1.5, value / highest * PANEL_BARS)
            parts.append(f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{width:.1f}" '
                         f'height="{height:.1f}" fill="{BAR_COLOUR}"></rect>\n')
        if columns:
            parts.append(f'<text x="0" y="{base + 14}" font-size="11" '
                         f'fill="{MUTED_COLOUR}">{escape(columns[0])}</text>\n'
                         f'<text x="{WIDTH}" y="{base + 14}" font-size="11" '
                         f'text-anchor="end" fill="{MUTED_COLOUR}">'
                         f"{escape(columns[-1])}</text>\n")
    parts.append("</svg>")
    return Markup("".join(parts))


# --- the hex map ----------------------------------------------------------------------------
HEX_SIZE = 10.0  # centre to corner; pointy-topped hexes ("-r" layouts)


def count_bins(highest: int, steps: int = len(SEQUENTIAL_COLOURS)) -> list[tuple[int, int]]:
    """Ranges of counts ([low, high], inclusive) for the map's colour steps: single values
    while they fit, else ranges growing evenly on a square-root scale (counts are skewed)."""
    if highest <= 0:
        return []
    if highest <= steps:
        return [(n, n) for n in range(1, highest + 1)]
    bounds = [1]
    for step in range(1, steps):
        bound = max(bounds[-1] + 1, round((step / steps) ** 2 * highest) + 1)
        bounds.append(bound)
    return [(low, (bounds[i + 1] - 1) if i + 1 < len(bounds) else highest)
            for i, low in enumerate(bounds)]


def bin_colour(count: int, bins: Sequence[tuple[int, int]]) -> str:
    for index, (low, high) in enumerate(bins):
        if low <= count <= high:
            return SEQUENTIAL_COLOURS[index]
    return NONE_COLOUR


def bin_label(low: int, high: int) -> str:
    return f"{low:,}" if low == high else f"{low:,} to {high:,}"


def count_legend(bins: Sequence[tuple[int, int]], unit: str = "reviews") -> Markup:
    items = [f'<li><span class="swatch" style="background:{NONE_COLOUR}"></span>none</li>']
    items += [f'<li><span class="swatch" style="background:{SEQUENTIAL_COLOURS[i]}"></span>'
              f"{escape(bin_label(low, high))}</li>" for i, (low, high) in enumerate(bins)]
    return Markup(f'<ul class="legend" aria-label="Key: {escape(unit)}">' + "".join(items)
                  + "</ul>")


def hex_map(ident: str, title: str, description: str, layout: str,
            hexes: Sequence[Hex]) -> Markup:
    """A hex map (HexJSON's offset layouts: odd-r, even-r; rows count northwards). Hexes with
    a link are links, named by their title."""
    if not hexes:
        return Markup("")
    height, outlines = _hex_outlines(layout, tuple((cell.q, cell.r) for cell in hexes))
    parts = [_open(ident, title, description, height, role="group", kind="map")]
    for cell, points in zip(hexes, outlines, strict=True):
        shape = (f'<polygon points="{points}" fill="{cell.colour}" stroke="#ffffff" '
                 f'stroke-width="0.8"></polygon>')
        if cell.href:
            parts.append(f'<a href="{escape(cell.href)}"><title>{escape(cell.title)}</title>'
                         f"{shape}</a>\n")
        else:
            parts.append(f"<g><title>{escape(cell.title)}</title>{shape}</g>\n")
    parts.append("</svg>")
    return Markup("".join(parts))


@lru_cache(maxsize=8)
def _hex_outlines(layout: str, cells: tuple[tuple[int, int], ...]) -> tuple[float, list[str]]:
    """The map's height and each hex's corners, scaled to WIDTH (the same every request)."""
    low_q = min(q for q, _ in cells)
    high_q = max(q for q, _ in cells)
    low_r = min(r for _, r in cells)
    high_r = max(r for _, r in cells)
    across = math.sqrt(3) * HEX_SIZE
    scale = WIDTH / ((high_q - low_q + 1.5) * across)
    size = HEX_SIZE * scale
    across *= scale
    shifted = 1 if layout in ("odd-r", "odd-q") else 0
    corners = [(size * math.cos(math.radians(60 * k - 30)),
                size * math.sin(math.radians(60 * k - 30))) for k in range(6)]
    outlines = []
    for q, r in cells:
        x = (q - low_q) * across + across / 2 + (across / 2 if r % 2 == shifted else 0)
        y = (high_r - r) * 1.5 * size + size
        outlines.append(" ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in corners))
    return (high_r - low_r) * 1.5 * size + 2 * size, outlines
