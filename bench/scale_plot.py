"""The scale plot: time and memory against corpus size, as a small hand-written SVG (log-log),
so the benchmark needs no plotting library."""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 420, 300  # one panel
LEFT, RIGHT, TOP, BOTTOM = 64, 28, 36, 48
LEGEND_WIDTH = 170  # the legend sits bottom right, where rising lines leave room
COLOURS = ("#1b5e9e", "#b3400a", "#2e7d32", "#6a3d9a")  # dark enough on white (WCAG AA)
DASHES = ("", "6 3", "2 3", "8 3 2 3")  # and told apart without colour


def _series(sizes: list[dict]) -> tuple[dict[str, list], dict[str, list]]:
    def points(value) -> list[tuple[float, float]]:
        found = []
        for item in sizes:
            try:
                found.append((item["size"], float(value(item))))
            except (KeyError, TypeError):
                continue
        return found

    times = {
        "build + validate": points(lambda i: i["build"]["median"]["seconds"]),
        "validate": points(lambda i: i["build"]["median"]["validate_seconds"]),
        "reviewgraph serve ready": points(lambda i: i["reviewgraph_ready_seconds"]),
        "oxigraph load": points(lambda i: i["oxigraph_load_seconds"]),
    }
    memory = {
        "build peak": points(lambda i: i["build"]["median"]["peak_pss_mb"]),
        "reviewgraph serve peak": points(lambda i: i["peak_pss_mb"]["reviewgraph serve"]),
        "oxigraph serve peak": points(lambda i: i["peak_pss_mb"]["oxigraph serve"]),
    }
    return times, memory


def _decades(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0 ** power for power in range(first, max(last, first + 1) + 1)]


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _panel(title: str, unit: str, series: dict[str, list], x_offset: int) -> list[str]:
    xs = [x for points in series.values() for x, _ in points]
    ys = [y for points in series.values() for _, y in points if y > 0]
    if not xs or not ys:
        return []
    x_ticks, y_ticks = _decades(min(xs), max(xs)), _decades(min(ys), max(ys))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        low, high = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
        return x_offset + LEFT + (math.log10(x) - low) / (high - low) * plot_w

    def py(y: float) -> float:
        low, high = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
        return TOP + plot_h - (math.log10(y) - low) / (high - low) * plot_h

    out = [f'<text x="{x_offset + LEFT}" y="20" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{x_offset + LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" '
           'fill="none" stroke="#555"/>']
    for tick in x_ticks:
        out.append(f'<line x1="{px(tick):.1f}" y1="{TOP}" x2="{px(tick):.1f}" '
                   f'y2="{TOP + plot_h}" stroke="#ddd"/>')
        out.append(f'<text x="{px(tick):.1f}" y="{TOP + plot_h + 16}" '
                   f'text-anchor="middle">{_label(tick)}</text>')
    for tick in y_ticks:
        out.append(f'<line x1="{x_offset + LEFT}" y1="{py(tick):.1f}" '
                   f'x2="{x_offset + LEFT + plot_w}" y2="{py(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x_offset + LEFT - 6}" y="{py(tick) + 4:.1f}" '
                   f'text-anchor="end">{_label(tick)}</text>')
    out.append(f'<text x="{x_offset + LEFT + plot_w / 2}" y="{HEIGHT - 10}" '
               'text-anchor="middle">reviews (log scale)</text>')
    out.append(f'<text transform="translate({x_offset + 14},{TOP + plot_h / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(unit)} (log scale)</text>')
    for number, (name, points) in enumerate(series.items()):
        points = [(x, y) for x, y in points if y > 0]
        if not points:
            continue
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                   + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>'
                for x, y in points]
        legend_x = x_offset + LEFT + plot_w - LEGEND_WIDTH
        legend_y = TOP + plot_h - 8 - 16 * (len(series) - 1 - number)
        out.append(f'<line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 22}" '
                   f'y2="{legend_y - 4}" stroke="{colour}" stroke-width="2"'
                   + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        out.append(f'<text x="{legend_x + 28}" y="{legend_y}">{escape(name)}</text>')
    return out


def svg(sizes: list[dict]) -> str:
    """Two panels side by side: seconds and megabytes against reviews."""
    times, memory = _series(sizes)
    body = [*_panel("Time", "seconds", times, 0), *_panel("Memory", "MB", memory, WIDTH)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {2 * WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12" '
            'role="img" aria-labelledby="title">\n'
            '<title id="title">ReviewGraph: time and memory against corpus size</title>\n'
            '<rect width="100%" height="100%" fill="#fff"/>\n' + "\n".join(body) + "\n</svg>\n")
