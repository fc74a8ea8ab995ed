"""Server-rendered SVG charts: no JavaScript library, nothing to download, readable without CSS.

Every label is escaped here (organisation names come from customers' Zendesk data), and the
charts use presentation attributes and classes, not inline `style`, which the CSP forbids.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

# Colour-blind-safe palette (Okabe–Ito), dark enough on white for the 3:1 graphics contrast.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9", "#555555")


def bar_chart(title: str, items: Sequence[tuple[str, float]], *, unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value)."""
    if not items:
        return Markup('<p class="empty">{}: no data yet.</p>').format(title)
    row, label_w, bar_w = 28, 170, 300
    height = row * len(items) + 10
    top = max(value for _, value in items) or 1
    parts = [
        Markup(
            '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
            'preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}"><title id="{id}">{t}'
            "</title>"
        ).format(w=label_w + bar_w + 60, h=height, id=_slug(title), t=title)
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        width = max(1.0, bar_w * value / top)
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            Markup(
                "<g><title>{label}: {value}{unit}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" class="label">{short}</text>'
                '<rect x="{bx}" y="{y}" width="{bw:.1f}" height="{bh}" fill="{fill}"/>'
                '<text x="{vx:.1f}" y="{ty}" class="value">{value}{unit}</text></g>'
            ).format(
                label=label,
                short=short,
                value=_num(value),
                unit=unit,
                lx=label_w - 8,
                ty=y + 17,
                bx=label_w,
                y=y,
                bw=width,
                bh=row - 8,
                fill=PALETTE[0],
                vx=label_w + width + 6,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def stacked_columns(
    title: str, columns: Sequence[tuple[str, dict[str, int]]], *, series: Sequence[str]
) -> Markup:
    """One column per (label, counts by series), stacked, with a legend."""
    if not columns or not any(sum(c.values()) for _, c in columns):
        return Markup('<p class="empty">{}: no data yet.</p>').format(title)
    col_w, plot_h, left, bottom = 18, 160, 30, 40
    width = left + col_w * len(columns) + 10
    top = max(sum(c.values()) for _, c in columns) or 1
    parts = [
        Markup(
            '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
            'preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}"><title id="{id}">{t}'
            "</title>"
            '<line x1="{l}" y1="{b}" x2="{w}" y2="{b}" class="axis"/>'
            '<text x="{tx}" y="14" class="value" text-anchor="end">{top}</text>'
        ).format(
            w=width,
            h=plot_h + bottom,
            id=_slug(title),
            t=title,
            l=left,
            b=plot_h,
            tx=left - 4,
            top=top,
        )
    ]
    for i, (label, counts) in enumerate(columns):
        x = left + i * col_w + 2
        y = float(plot_h)
        tip = ", ".join(f"{name} {counts[name]}" for name in series if counts.get(name))
        parts.append(Markup("<g><title>{}: {}</title>").format(label, tip or "none"))
        for j, name in enumerate(series):
            value = counts.get(name, 0)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(
                Markup(
                    '<rect x="{x}" y="{y:.1f}" width="{w}" height="{h:.1f}" fill="{f}"/>'
                ).format(x=x, y=y, w=col_w - 4, h=h, f=PALETTE[j % len(PALETTE)])
            )
        parts.append(Markup("</g>"))
        if i % 7 == 0 or i == len(columns) - 1:
            parts.append(
                Markup('<text x="{x}" y="{y}" class="label">{label}</text>').format(
                    x=x, y=plot_h + 16, label=label
                )
            )
    parts.append(Markup("</svg>"))
    legend = Markup("").join(
        Markup(
            '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
            'fill="{f}"/></svg> {name}</li>'
        ).format(f=PALETTE[j % len(PALETTE)], name=name)
        for j, name in enumerate(series)
    )
    parts.append(Markup('<ul class="legend">{}</ul>').format(legend))
    return Markup("").join(parts)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _slug(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
