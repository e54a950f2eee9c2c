"""Articles per day per province as an inline SVG line chart (no JavaScript, no CDN).

Pure functions: SQL rows in, SVG text out; the datasette plugin serves them at /-/tintinh/chart.
"""
from __future__ import annotations

from datetime import date, timedelta
from html import escape

PER_DAY_SQL = """
SELECT substr(published_at, 1, 10) AS day,
       coalesce(nullif(province, ''), 'national') AS province,
       count(*) AS articles
FROM articles
WHERE published_at >= date(substr((SELECT max(published_at) FROM articles), 1, 10),
                           '-' || :days || ' days')
GROUP BY day, province
"""

# Colour-blind-safe categorical palette (Okabe-Ito, then Tableau) for up to 12 lines.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
           "#F0E442", "#000000", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF")


def per_day_series(rows, top: int = 8) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """(every day from first to last, [(province, count per day)]) for the `top` provinces with
    the most articles; the rest are summed into "other provinces". Days without articles count 0."""
    counts: dict[str, dict[str, int]] = {}
    for day, province, n in rows:
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError):
            continue  # a malformed published_at must not break the chart
        per = counts.setdefault(province, {})
        per[day] = per.get(day, 0) + n
    if not counts:
        return [], []
    all_days = sorted({d for per in counts.values() for d in per})
    first, last = date.fromisoformat(all_days[0]), date.fromisoformat(all_days[-1])
    days = [(first + timedelta(i)).isoformat() for i in range((last - first).days + 1)]
    ranked = sorted(counts, key=lambda p: (-sum(counts[p].values()), p))
    series = [(p, [counts[p].get(d, 0) for d in days]) for p in ranked[:top]]
    rest = ranked[top:]
    if rest:
        series.append((f"other provinces ({len(rest)})",
                       [sum(counts[p].get(d, 0) for p in rest) for d in days]))
    return days, series


def line_chart_svg(days: list[str], series: list[tuple[str, list[int]]],
                   width: int = 960, height: int = 380) -> str:
    """An SVG line chart: one line per series, a legend on the right, day labels below."""
    if not days:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60">' \
               '<text x="10" y="30">No dated articles yet.</text></svg>'
    left, right, top_m, bottom = 44, 220, 16, 40
    plot_w, plot_h = width - left - right, height - top_m - bottom
    peak = max(1, max(max(counts) for _, counts in series))
    step = plot_w / max(1, len(days) - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(n: int) -> float:
        return top_m + plot_h - n * plot_h / peak

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
           f'role="img" aria-label="Articles per day per province">']
    for tick in sorted({0, peak // 2, peak}):
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" '
                   f'text-anchor="end">{tick}</text>')
    label_every = max(1, len(days) // 8)
    for i in range(0, len(days), label_every):
        out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                   f'{days[i][5:]}</text>')
    for k, (name, counts) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(n):.1f}" for i, n in enumerate(counts))
        out.append(f'<polyline class="series" data-province="{escape(name)}" fill="none" '
                   f'stroke="{colour}" stroke-width="2" points="{points}">'
                   f'<title>{escape(name)}: {sum(counts)} articles</title></polyline>')
        ly = top_m + 14 * k + 6
        out.append(f'<rect x="{left + plot_w + 16}" y="{ly - 8}" width="10" height="10" '
                   f'fill="{colour}"/><text x="{left + plot_w + 32}" y="{ly + 1}">'
                   f'{escape(name)} ({sum(counts)})</text>')
    out.append("</svg>")
    return "\n".join(out)
