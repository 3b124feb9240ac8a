"""Server-rendered SVG charts: the evaluation-accuracy learning curve of the dashboard, with
its 95 % interval as a band.

Plain SVG text keeps the page free of a plotting library in the browser and of image files on
disk; every number that goes into the markup is formatted here, and every label is escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Iterable, Mapping

__all__ = ["learning_curve_svg", "responsive_learning_curve", "LAYOUTS"]

#: The chart's layouts, widest first: (name, width, height, about how many x ticks). The page
#: shows one per screen width (hilt.css: .chart-wide above 1000 px, .chart-medium down to 641 px,
#: .chart-narrow below), at most 1.3 times its size and, on screens from 360 px up, at least
#: 0.9 times, so text drawn at 12-13 px is shown between 11.5 and 17 px. One 920 px drawing
#: scaled to fit every width put 4 px tick labels on a phone.
LAYOUTS = (("wide", 920, 300, 5), ("medium", 560, 280, 5), ("narrow", 340, 280, 4))
#: Vertical room (drawing px) a y tick label needs; closer ticks are thinned to every 20 %.
MIN_TICK_GAP = 26


def _nice_step(span: float, target: int = 5) -> float:
    """A 1-2-5 step that cuts ``span`` into about ``target`` intervals."""
    raw = max(span, float(target)) / target  # whole labels: a step of at least 1
    power = 10 ** math.floor(math.log10(raw))
    return next(power * f for f in (1, 2, 5, 10) if power * f >= raw)


def learning_curve_svg(
    runs: Iterable[Mapping],
    *,
    width: int = 920,
    height: int = 300,
    title: str = "Evaluation accuracy by number of training labels",
    x_ticks: int = 5,
    css_class: str = "chart",
    axis: str = "eval accuracy",
) -> str:
    """Draw evaluation accuracy against training labels as an inline SVG document.

    Parameters
    ----------
    runs : iterable of mappings
        Model runs, oldest first, each with ``n_train`` and ``eval_accuracy`` (``None`` when the
        run had no evaluation labels; such runs are left out) and optionally ``eval_ci``, the
        95 % interval ``[low, high]`` of the accuracy, drawn as a shaded band around the line
        (a handful of evaluation items leaves a wide band: the curve is not read as more exact
        than it is).
    width, height : int
        Size of the drawing in pixels.
    title : str
        Accessible title (``<title>``) of the chart.
    x_ticks : int
        About how many intervals the x axis is cut into (fewer on a narrow drawing).
    css_class : str
        The ``class`` of the ``<svg>``.
    axis : str
        The y axis's name (``eval micro-F1`` for a multi-label project, whose runs keep their
        headline figure in ``eval_accuracy``).

    Returns
    -------
    str
        An ``<svg>`` element. With no usable run it says so in the drawing instead.

    Examples
    --------
    >>> svg = learning_curve_svg([{"n_train": 10, "eval_accuracy": 0.55},
    ...                           {"n_train": 20, "eval_accuracy": 0.7}])
    >>> svg.startswith("<svg") and svg.count("<circle") == 2
    True
    >>> 'class="chart-band"' in learning_curve_svg([{"n_train": 10, "eval_accuracy": 0.6,
    ...                                             "eval_ci": [0.31, 0.83], "n_eval": 10}])
    True
    >>> "No model run" in learning_curve_svg([])
    True
    """
    scored = [run for run in runs if run.get("eval_accuracy") is not None and run.get("n_train") is not None]
    points = [(int(run["n_train"]), float(run["eval_accuracy"])) for run in scored]
    # Each point's interval; a run without one (older callers) gets a band of zero width there.
    bands = [(float(run["eval_ci"][0]), float(run["eval_ci"][1])) if run.get("eval_ci") else (a, a)
             for run, (_, a) in zip(scored, points)]
    counts = [int(run.get("n_eval") or 0) for run in scored]
    left, right, top, bottom = 52, 16, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    if not points:
        lines = (["No model run with evaluation labels yet: keep labelling."] if width >= 600
                 else ["No model run with evaluation", "labels yet: keep labelling."])
        for k, line in enumerate(lines):
            parts.append(f'<text x="{width / 2:.0f}" y="{height / 2 + 20 * k:.0f}" text-anchor="middle" '
                         f'class="chart-empty">{line}</text>')
        parts.append("</svg>")
        return "".join(parts)

    x_max = max(n for n, _ in points)
    x_step = _nice_step(x_max, x_ticks)
    x_top = max(x_step, x_step * -(-x_max // x_step))
    y_low = min(0.5, min(low for low, _ in bands))
    y_low = max(0.0, (int(y_low * 10)) / 10)

    def sx(n: float) -> float:
        return left + plot_w * n / x_top

    def sy(a: float) -> float:
        return top + plot_h * (1 - (a - y_low) / (1 - y_low))

    parts.append('<g class="chart-grid">')
    y_step = 0.1 if plot_h * 0.1 / (1 - y_low) >= MIN_TICK_GAP else 0.2
    y_low = round(math.floor(round(y_low / y_step, 6)) * y_step, 10)  # the axis starts and ends on a tick
    tick = y_low
    while tick <= 1.0 + 1e-9:
        y = sy(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:.0%}</text>'
        )
        tick = round(tick + y_step, 10)
    n = 0.0
    while n <= x_top + 1e-9:
        x = sx(n)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}"/>'
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{n:g}</text>'
        )
        n += x_step
    parts.append("</g>")
    parts.append(
        f'<text class="chart-axis" x="{left + plot_w / 2:.0f}" y="{height - 4}" text-anchor="middle">'
        "training labels</text>"
        f'<text class="chart-axis" x="{left}" y="{top - 10}" text-anchor="start">{escape(axis)}</text>'
    )
    if any(high > low for low, high in bands):
        xs = [n for n, _ in points]
        if len(points) == 1:  # one run: a short bar, a band needs two ends
            xs_band = [xs[0] - 0.01 * x_top, xs[0] + 0.01 * x_top]
            highs, lows = [bands[0][1]] * 2, [bands[0][0]] * 2
        else:
            xs_band, highs, lows = xs, [h for _, h in bands], [lo for lo, _ in bands]
        outline = [(sx(x), sy(h)) for x, h in zip(xs_band, highs)] + \
                  [(sx(x), sy(lo)) for x, lo in zip(reversed(xs_band), reversed(lows))]
        band = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(outline))
        parts.append(f'<path class="chart-band" d="{band} Z"><title>95 % interval</title></path>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(n):.1f},{sy(a):.1f}" for i, (n, a) in enumerate(points))
    parts.append(f'<path class="chart-line" d="{path}" fill="none"/>')
    for (n_train, accuracy), (low, high), n_eval in zip(points, bands, counts):
        interval = f" (95 % CI {low:.0%}–{high:.0%})" if high > low else ""
        on = f" on {n_eval} evaluation items" if n_eval else ""
        parts.append(
            f'<circle class="chart-point" cx="{sx(n_train):.1f}" cy="{sy(accuracy):.1f}" r="3.5">'
            f"<title>{n_train} labels: {accuracy:.1%}{escape(interval)}{on}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def responsive_learning_curve(runs: Iterable[Mapping],
                              title: str = "Evaluation accuracy by number of training labels",
                              axis: str = "eval accuracy") -> str:
    """The learning curve in each of :data:`LAYOUTS`, for the page to show the one that fits
    the screen (classes ``chart chart-wide``, ``chart chart-medium``, ``chart chart-narrow``).

    Examples
    --------
    >>> runs = [{"n_train": 10, "eval_accuracy": 0.55}, {"n_train": 20, "eval_accuracy": 0.7}]
    >>> markup = responsive_learning_curve(runs)
    >>> markup.count("<svg"), 'class="chart chart-narrow"' in markup
    (3, True)
    """
    runs = list(runs)
    return "".join(learning_curve_svg(runs, width=width, height=height, x_ticks=ticks, css_class=f"chart chart-{name}",
                                      title=title, axis=axis)
                   for name, width, height, ticks in LAYOUTS)
