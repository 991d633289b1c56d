"""Bar charts laid out for inline SVG in admin pages: the template only places what is computed here."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    show_label: bool
    value: str
    tooltip: str

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class BarChart:
    """A bar chart laid out for an inline SVG: the template only places what is computed here."""

    slug: str
    title: str
    x_label: str
    y_label: str
    bars: list[Bar]
    # (y position, text) of each horizontal grid line.
    ticks: list[tuple[float, str]]
    width: int = 640
    height: int = 280
    left: int = 56
    top: int = 20
    bottom: int = 216

    @property
    def right(self) -> int:
        return self.width - 16

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


def bar_chart(*, slug, title, x_label, y_label, points, percent=False) -> BarChart:
    """Lay out `points`, (label, value or None, tooltip) each, as bars from 0 up to a round top.

    Counts: the axis top is the largest count rounded up to a step of a quarter (at least 1).
    Percentages: 0–100. At most a dozen x labels are printed; every bar keeps its tooltip.
    """
    chart = BarChart(slug=slug, title=title, x_label=x_label, y_label=y_label, bars=[], ticks=[])
    largest = max((value or 0 for _, value, _ in points), default=0)
    step = 25 if percent else max(1, math.ceil(largest / 4))
    top = 100 if percent else max(step, step * math.ceil(largest / step))
    plot_height = chart.bottom - chart.top
    band = (chart.right - chart.left) / max(len(points), 1)
    label_every = math.ceil(len(points) / 12) or 1
    for position, (label, value, tooltip) in enumerate(points):
        height = plot_height * float(value or 0) / top
        chart.bars.append(
            Bar(
                x=round(chart.left + position * band + band * 0.1, 2),
                y=round(chart.bottom - height, 2),
                width=round(band * 0.8, 2),
                height=round(height, 2),
                label=label,
                show_label=position % label_every == 0,
                value="" if value is None else f"{value}{'%' if percent else ''}",
                tooltip=tooltip,
            )
        )
    for tick in range(0, top + 1, step):
        chart.ticks.append(
            (round(chart.bottom - plot_height * tick / top, 2), f"{tick}{'%' if percent else ''}")
        )
    return chart
