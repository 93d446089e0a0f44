"""The commune's quarterly market as a server-drawn SVG: median €/m² (line), sales (bars)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from app.web.french import number, quarter

WIDTH, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 58, 44, 22, 36


@dataclass
class Chart:
    """Coordinates ready for the template: nothing is computed in Jinja."""

    width: int = WIDTH
    height: int = HEIGHT
    bars: list[dict] = field(default_factory=list)
    line: str = ""
    dots: list[dict] = field(default_factory=list)
    price_ticks: list[dict] = field(default_factory=list)
    sales_ticks: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # the same data as a table, for everyone
    plot_bottom: int = HEIGHT - BOTTOM
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5, 5 × 10^k) giving about `ticks` intervals over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def build_chart(history: list[dict]) -> Chart | None:
    """Chart geometry for quarters of history; None when there is nothing to draw."""
    points = [h for h in history if h.get("sales")]
    if not points:
        return None
    chart = Chart()
    n = len(points)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    prices = [h["median_price_per_m2"] for h in points if h.get("median_price_per_m2")]
    max_sales = max(int(h["sales"]) for h in points)

    sales_step = max(1.0, nice_step(max_sales, 3))  # whole sales: no "0, 0, 1" ticks
    sales_top = sales_step * math.ceil(max_sales / sales_step)
    if prices:
        low, high = min(prices), max(prices)
        step = nice_step(max(high - low, high * 0.1))
        price_lo = step * math.floor(low / step - 0.5)
        price_lo = max(price_lo, 0)
        price_hi = step * math.ceil(high / step + 0.25)
    else:
        step, price_lo, price_hi = 1.0, 0.0, 1.0

    def y_price(v: float) -> float:
        return TOP + plot_h * (1 - (v - price_lo) / (price_hi - price_lo))

    def y_sales(v: float) -> float:
        return TOP + plot_h * (1 - v / sales_top)

    coords = []
    label_every = max(1, math.ceil(n / 4))  # four labels fit a phone-sized chart
    for i, h in enumerate(points):
        x = LEFT + slot * (i + 0.5)
        bar_h = plot_h * int(h["sales"]) / sales_top
        chart.bars.append(
            {
                "x": round(x - slot * 0.35, 1),
                "y": round(TOP + plot_h - bar_h, 1),
                "w": round(slot * 0.7, 1),
                "h": round(bar_h, 1),
                "title": f"{quarter(h['quarter'])} : {h['sales']} vente"
                + ("s" if int(h["sales"]) > 1 else ""),
            }
        )
        price = h.get("median_price_per_m2")
        if price:
            y = y_price(price)
            coords.append(f"{x:.1f},{y:.1f}")
            chart.dots.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "title": f"{quarter(h['quarter'])} : {number(price)} €/m²",
                }
            )
        if (n - 1 - i) % label_every == 0:  # counted from the latest quarter: always labelled
            chart.x_labels.append({"x": round(x, 1), "text": quarter(h["quarter"])})
        chart.rows.append(
            {
                "quarter": quarter(h["quarter"]),
                "price": number(price) if price else "—",
                "sales": number(int(h["sales"])),
            }
        )
    chart.line = " ".join(coords)
    v = price_lo
    while v <= price_hi + 1e-9:
        chart.price_ticks.append({"y": round(y_price(v), 1), "text": number(v)})
        v += step
    v = 0.0
    while v <= sales_top + 1e-9:
        chart.sales_ticks.append({"y": round(y_sales(v), 1), "text": number(v)})
        v += sales_step
    return chart
