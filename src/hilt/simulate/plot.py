"""The learning-curve plot: mean and band per strategy, random as the baseline, full-data accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hilt.errors import InputError

if TYPE_CHECKING:
    from hilt.simulate.results import SimulationResult

__all__ = ["plot_result"]

# Colour-blind-safe colours (Okabe–Ito), one per uncertainty strategy; random is grey.
_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]


def plot_result(result: "SimulationResult", path: Path) -> Path:
    """Draw ``result``'s learning curves to the PNG file ``path``.

    Uses matplotlib's object API on an Agg canvas: no pyplot, no global backend, no display.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.6), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot(1, 1, 1)
    summary = result.summary()
    colours = iter(_COLOURS)
    for strategy, s in summary.items():
        if not s.n_labels:
            continue
        n = np.asarray(s.n_labels)
        mean, std = np.asarray(s.mean), np.asarray(s.std)
        is_random = strategy == "random"
        colour = "#555555" if is_random else next(colours, "#000000")
        ax.plot(n, mean, color=colour, linestyle="--" if is_random else "-", linewidth=1.8,
                label=result.display_name(strategy), zorder=3 if not is_random else 2)
        ax.fill_between(n, mean - std, mean + std, color=colour, alpha=0.15, linewidth=0)
    full = result.full_accuracy
    ax.axhline(full, color="black", linewidth=1, linestyle=":", label=f"full-data accuracy ({full:.3f})")
    ax.axhline(0.99 * full, color="black", linewidth=0.6, linestyle=(0, (1, 4)), label="99 % of full-data")
    settings = result.settings
    n_seeds = len(result.seeds)
    ax.set_title(
        f"{result.dataset}: test accuracy by labels used "
        f"({settings.get('model', 'logistic')}, {n_seeds} seed{'s' if n_seeds != 1 else ''}, band = ±1 sd)",
        fontsize=10,
    )
    ax.set_xlabel("labels used")
    ax.set_ylabel("test accuracy")
    drawn = [s for s in summary.values() if s.n_labels]
    if drawn:
        # Zoom on the curves: the interesting part is near the top, not the first rounds' spread.
        low = min(min(np.asarray(s.mean) - np.asarray(s.std)) for s in drawn)
        high = max([full] + [max(np.asarray(s.mean) + np.asarray(s.std)) for s in drawn])
        ax.set_ylim(max(0.0, low - 0.02), min(1.005, high + 0.02))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    try:
        figure.savefig(path, format="png")
    except OSError as error:
        raise InputError(f"Could not write the plot to {path}: {error.strerror}.") from None
    return path
