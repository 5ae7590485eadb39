"""The loss plot: one panel per loss, with value and step axes, the raw series and a smoothed line over it.

Drawn with Pillow alone (ComfyUI ships no plotting library). Dense histories are drawn per pixel column: the raw
series as the band its middle 90% covers in that column (5th..95th percentile), the smoothed one as a line, so
300 steps and 300,000 read alike. Each panel's value axis spans the 1st..99th percentile of its raw values (a few
spikes do not flatten the rest); what falls outside is clipped to the panel's edge.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

COLOURS = ((200, 40, 40), (40, 90, 200), (30, 140, 60), (160, 90, 20), (130, 50, 160), (20, 130, 140),
           (190, 110, 150), (90, 90, 90), (110, 130, 20))
PANEL_W, PANEL_H = 420, 230
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 58, 14, 30, 34


def loss_plot(history: list[dict[str, float]]) -> Image.Image:
    """The losses of a training history (``{"step": n, name: value, ...}`` per step) as one RGB image."""
    names = [name for name in (history[-1] if history else {}) if name != "step"]
    columns = 2 if len(names) <= 4 else 3
    rows = max(1, math.ceil(len(names) / columns))
    image = Image.new("RGB", (columns * PANEL_W, rows * PANEL_H), "white")
    draw = ImageDraw.Draw(image)
    fonts = _font(13), _font(11)
    if len(history) < 2:
        draw.text((20, 20), "no losses yet: the plot starts after two steps", fill=(0, 0, 0), font=fonts[0])
        return image
    steps = np.array([h["step"] for h in history], dtype=np.float64)
    for index, name in enumerate(names):
        values = np.array([h.get(name, np.nan) for h in history], dtype=np.float64)
        origin = ((index % columns) * PANEL_W, (index // columns) * PANEL_H)
        _panel(draw, origin, name, steps, values, COLOURS[index % len(COLOURS)], fonts)
    return image


def smoothed(values: np.ndarray) -> np.ndarray:
    """An exponential moving average whose span grows with the run (about 1/30 of it), debiased at the start."""
    span = max(1.0, len(values) / 30)
    alpha = 2 / (span + 1)
    out, average, weight = np.empty_like(values), 0.0, 0.0
    for i, value in enumerate(values):
        if np.isfinite(value):
            average = (1 - alpha) * average + alpha * value
            weight = (1 - alpha) * weight + alpha
        out[i] = average / weight if weight else np.nan
    return out


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) within ``low..high``."""
    if not high > low:
        return [low]
    power = 10 ** math.floor(math.log10((high - low) / max(1, count - 1)))
    step = min((m * power for m in (0.5, 1, 2, 5, 10)), key=lambda s: abs((high - low) / s + 1 - count))
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _panel(draw: ImageDraw.ImageDraw, origin: tuple[int, int], name: str, steps: np.ndarray, values: np.ndarray,
           colour: tuple[int, int, int], fonts) -> None:
    x0, y0 = origin[0] + MARGIN_LEFT, origin[1] + MARGIN_TOP
    x1, y1 = origin[0] + PANEL_W - MARGIN_RIGHT, origin[1] + PANEL_H - MARGIN_BOTTOM
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        draw.text((x0, y0), f"{name}: no finite values", fill=(0, 0, 0), font=fonts[0])
        return
    low, high = np.percentile(finite, [1, 99])
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    pad = (high - low) * 0.05
    low, high = low - pad, high + pad

    def x_of(step):
        return x0 + (step - steps[0]) / max(steps[-1] - steps[0], 1) * (x1 - x0)

    def y_of(value):
        return y1 - (np.clip(value, low, high) - low) / (high - low) * (y1 - y0)

    for tick in nice_ticks(low, high, 6):  # value axis with a light grid
        y = y_of(tick)
        draw.line([(x0, y), (x1, y)], fill=(232, 232, 232))
        draw.text((x0 - 6, y), _label(tick), fill=(60, 60, 60), font=fonts[1], anchor="rm")
    for tick in nice_ticks(steps[0], steps[-1], 6):  # step axis
        x = x_of(tick)
        draw.line([(x, y1), (x, y1 + 4)], fill=(60, 60, 60))
        draw.text((x, y1 + 6), _label(tick, steps=True), fill=(60, 60, 60), font=fonts[1], anchor="ma")
    draw.rectangle([x0, y0, x1, y1], outline=(150, 150, 150))
    light = tuple(int(c + (255 - c) * 0.65) for c in colour)
    columns = np.clip(((steps - steps[0]) / max(steps[-1] - steps[0], 1) * (x1 - x0)).astype(int), 0, x1 - x0)
    dense = len(values) > (x1 - x0)
    if dense:
        for column, bottom, top in zip(*_column_bands(columns, values)):
            draw.line([(x0 + column, y_of(bottom)), (x0 + column, y_of(top))], fill=light)
    else:
        draw.line(_points(x_of, y_of, steps, values), fill=light, width=1)
    trend = smoothed(values)
    draw.line(_points(x_of, y_of, steps, trend), fill=colour, width=2)
    last = trend[np.isfinite(trend)][-1]
    draw.text((origin[0] + MARGIN_LEFT, origin[1] + 8), f"{name}", fill=colour, font=fonts[0])
    raw = "light: raw, middle 90% per pixel" if dense else "light: raw"
    draw.text((x1, origin[1] + 9), f"smoothed {_label(last)}; {raw}", fill=(90, 90, 90), font=fonts[1], anchor="ra")
    draw.text(((x0 + x1) / 2, y1 + 20), "step", fill=(90, 90, 90), font=fonts[1], anchor="ma")


def _points(x_of, y_of, steps: np.ndarray, values: np.ndarray) -> list[tuple[float, float]]:
    finite = np.isfinite(values)
    return list(zip(x_of(steps[finite]).tolist(), y_of(values[finite]).tolist()))


def _column_bands(columns: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel column's 5th and 95th percentile of its finite values (nearest rank), vectorised."""
    finite = np.isfinite(values)
    columns, values = columns[finite], values[finite]
    order = np.lexsort((values, columns))
    columns, values = columns[order], values[order]
    unique, starts, counts = np.unique(columns, return_index=True, return_counts=True)
    return (unique, values[starts + np.floor(0.05 * (counts - 1)).astype(int)],
            values[starts + np.ceil(0.95 * (counts - 1)).astype(int)])


def _label(value: float, steps: bool = False) -> str:
    if steps:
        return f"{value / 1000:g}k" if abs(value) >= 10000 else f"{value:g}"
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-2):
        return f"{value:.1e}"
    return f"{value:.3g}"


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()
