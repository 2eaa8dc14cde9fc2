"""Server-rendered SVG charts for the staff statistics (no JavaScript).

Only SVG presentation attributes are used (no ``style``), so the pages keep the app's
``style-src 'self'`` Content-Security-Policy; every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart"]

PALETTE = ("#2b6cb0", "#2f855a", "#c05621", "#6b46c1", "#b83280", "#2c7a7b", "#975a16")


def _number(value: float, unit: str) -> str:
    text = f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"
    return f"{text}{unit}"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    row: int = 24,
    label_width: int = 200,
    maximum: float | None = None,
) -> Markup:
    """A horizontal bar chart: one labelled bar per ``(label, value)``."""
    top = 28
    height = top + row * max(len(items), 1) + 8
    scale_to = maximum if maximum is not None else max((v for _, v in items), default=0.0)
    room = width - label_width - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    if not items:
        parts.append(f'<text x="0" y="{top + 16}" font-size="13" fill="#555">—</text>')
    for n, (label, value) in enumerate(items):
        y = top + n * row
        length = 0.0 if scale_to <= 0 else room * max(value, 0.0) / scale_to
        colour = PALETTE[n % len(PALETTE)]
        shown = escape(_number(value, unit))
        parts.append(
            f'<g class="bar"><text x="{label_width - 8}" y="{y + 16}" font-size="13"'
            f' text-anchor="end" fill="#222">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}"'
            f' fill="{colour}"><title>{escape(label)}: {shown}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}" font-size="13"'
            f' fill="#222">{shown}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
