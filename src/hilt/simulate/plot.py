"""The learning-curve plot: mean and band per strategy, random as the baseline, full-data accuracy.

It draws any :class:`~hilt.simulate.curves.LearningCurves` (a
:class:`~hilt.simulate.SimulationResult` is one). The recommended strategy
(:func:`hilt.simulate.recommend.recommended`) is drawn so that it stands out:
a solid line three times as thick as the others, drawn on top, named "(recommended)" in the
legend and in the title; random, the baseline, is grey and dashed and named "(baseline)".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hilt.errors import InputError
from hilt.simulate.recommend import recommended as recommended_strategies

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hilt.simulate.curves import LearningCurves

__all__ = ["plot_result", "learning_curve_figure"]

# Colour-blind-safe colours (Okabe–Ito), one per strategy; random is grey. More strategies than
# colours (hilt simulate compares a dozen by default) take matplotlib's tab20 instead.
_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]

#: Bands (±1 sd) are drawn while they stay readable.
_MAX_BANDS = 6
#: Line widths: the others, and the recommended strategy's (it must stand out among a dozen).
_WIDTH = 1.3
_RECOMMENDED_WIDTH = 3.6
#: A deep red that neither palette holds.
_RECOMMENDED_COLOUR = "#A50021"


def _style(strategy: str) -> str:
    """The line style says the family: plain solid, ``+diverse`` dash-dot, ``+dense`` dotted,
    mixes dashed."""
    if "/" in strategy:
        return (0, (5, 2))
    if strategy.endswith("+diverse"):
        return "-."
    if strategy.endswith("+dense"):
        return (0, (1, 1))
    return "-"


def plot_result(result: "LearningCurves", path: Path) -> Path:
    """Draw ``result``'s learning curves to the PNG file ``path``.

    Uses matplotlib's object API on an Agg canvas: no pyplot, no global backend, no display.
    """
    figure = learning_curve_figure(result)
    try:
        figure.savefig(path, format="png")
    except OSError as error:
        raise InputError(f"Could not write the plot to {path}: {error.strerror}.") from None
    return path


def learning_curve_figure(result: "LearningCurves") -> "Figure":
    """The learning curves as a matplotlib ``Figure`` (one axes), unsaved.

    Examples
    --------
    >>> from hilt.simulate import Curve, SimulationResult
    >>> from hilt.simulate.plot import learning_curve_figure
    >>> result = SimulationResult("toy", 0.9, {"budget": 30}, [
    ...     Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
    ...     Curve("margin", 0, [10, 20, 30], [0.5, 0.86, 0.9])])
    >>> [line.get_label() for line in learning_curve_figure(result).axes[0].get_lines()][:2]
    ['random (baseline)', 'margin (recommended)']
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    summary = result.summary()
    chosen_names = recommended_strategies(result)
    recommended = set(chosen_names)
    many = len(summary) > len(_COLOURS) + 1
    figure = Figure(figsize=(10.5 if many else 7.5, 5.2 if many else 4.6), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot(1, 1, 1)
    if many:
        from matplotlib import colormaps

        palette = [colormaps["tab20"](i % 20) for i in range(len(summary))]
    else:
        palette = list(_COLOURS)
    colours = iter(palette)
    for strategy, s in summary.items():
        if not s.n_labels:
            continue
        n = np.asarray(s.n_labels)
        mean, std = np.asarray(s.mean), np.asarray(s.std)
        is_random = strategy == "random"
        chosen = strategy in recommended
        # The winner in a colour of its own: a dozen lines of tab20 have pale ones among them.
        colour = "#555555" if is_random else _RECOMMENDED_COLOUR if chosen else next(colours, "#000000")
        style = "-" if chosen else "--" if is_random else _style(strategy)
        label = result.display_name(strategy) + (
            " (baseline, recommended)" if is_random and chosen else " (baseline)" if is_random
            else " (recommended)" if chosen else "")
        ax.plot(n, mean, color=colour, linestyle=style, linewidth=_RECOMMENDED_WIDTH if chosen else _WIDTH,
                label=label, zorder=5 if chosen else 2 if is_random else 3)
        if len(summary) <= _MAX_BANDS or is_random or chosen:
            ax.fill_between(n, mean - std, mean + std, color=colour, alpha=0.15, linewidth=0)
    full = result.full_accuracy
    metric = result.settings.get("metric", "accuracy")
    ax.axhline(full, color="black", linewidth=1, linestyle=":", label=f"full-data {metric} ({full:.3f})")
    ax.axhline(0.99 * full, color="black", linewidth=0.6, linestyle=(0, (1, 4)), label="99 % of full-data")
    settings = result.settings
    n_seeds = len(result.seeds)
    band = "band = ±1 sd" if len(summary) <= _MAX_BANDS else "band: random, recommended ±1 sd"
    names = [result.display_name(name) for name in chosen_names]
    verdict = f"\nrecommended: {' or '.join(names)}" if names else "\nno strategy recommended"
    ax.set_title(
        f"{result.dataset}: test {metric} by labels used "
        f"({settings.get('model', 'logistic')}, {n_seeds} seed{'s' if n_seeds != 1 else ''}, {band}){verdict}",
        fontsize=10,
    )
    ax.set_xlabel("labels used")
    ax.set_ylabel(f"test {metric}")
    drawn = [s for s in summary.values() if s.n_labels]
    if drawn:
        # Zoom on the curves: the interesting part is near the top, not the first rounds' spread.
        low = min(min(np.asarray(s.mean) - np.asarray(s.std)) for s in drawn)
        high = max([full] + [max(np.asarray(s.mean) + np.asarray(s.std)) for s in drawn])
        ax.set_ylim(max(0.0, low - 0.02), min(1.005, high + 0.02))
    ax.grid(True, alpha=0.3)
    if many:  # beside the axes: a dozen entries would hide the curves
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    else:
        ax.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure
