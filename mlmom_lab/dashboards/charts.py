"""Charts of the dashboards as PNG images: matplotlib (Agg) drawn on the server, shown by an
``ipywidgets.Image``, so a dashboard needs no JavaScript plotting library and no CDN."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

POSITIVE, NEGATIVE, NEUTRAL = "#d62728", "#1f77b4", "#7f7f7f"
REFERENCE, CURRENT = "#1f77b4", "#ff7f0e"


DPI = 96


def image(fig) -> Any:
    """The figure as an ``ipywidgets.Image`` (PNG) no wider than drawn, closed afterwards."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    width = round(fig.get_figwidth() * DPI)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return widgets.Image(
        value=buffer.getvalue(),
        format="png",
        layout=widgets.Layout(max_width=f"{width}px", height="auto"),
    )


def figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def contributions(pairs: list[tuple[str, float]], title: str, xlabel: str):
    """Horizontal bars, strongest on top: red pushes the output up, blue down."""
    fig, ax = figure(5.2, 0.35 * len(pairs) + 1.0)
    names = [name for name, _ in pairs][::-1]
    values = [value for _, value in pairs][::-1]
    ax.barh(names, values, color=[POSITIVE if v > 0 else NEGATIVE for v in values])
    ax.axvline(0, color=NEUTRAL, linewidth=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(labelsize=8)
    return image(fig)


def importance(ranked, output_name: str):
    """Mean |SHAP| per feature, strongest on top."""
    fig, ax = figure(5.2, 0.35 * len(ranked) + 1.0)
    ax.barh([f.name for f in ranked][::-1], [f.mean_abs for f in ranked][::-1], color=NEGATIVE)
    ax.set_xlabel(f"mean |SHAP| (effect on the {output_name})", fontsize=9)
    ax.tick_params(labelsize=8)
    return image(fig)


def distributions(panels: list[tuple[str, Any, Any]], columns: int = 4):
    """One small chart per feature: the reference against the window, as shares of rows.
    ``panels`` holds (name, reference ColumnStats, window Series)."""
    import matplotlib.pyplot as plt

    rows = max(1, -(-len(panels) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 2.3 * rows), squeeze=False)
    for ax, (name, ref, current) in zip(axes.flat, panels):
        if ref.values is not None:
            _histogram(ax, ref.values, current)
        else:
            _shares(ax, ref.value_counts(), current)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return image(fig)


def _histogram(ax, reference: np.ndarray, current) -> None:
    values = np.asarray(current.dropna(), dtype=float)
    edges = np.histogram_bin_edges(np.concatenate([reference, values]).astype(float), bins=20)
    ax.hist(reference, bins=edges, density=True, alpha=0.5, color=REFERENCE, label="reference")
    ax.hist(values, bins=edges, density=True, alpha=0.5, color=CURRENT, label="window")


def _shares(ax, counts: dict, current) -> None:
    seen = current.dropna().astype(str).value_counts(normalize=True)
    total = sum(counts.values()) or 1
    labels = sorted({str(k) for k in counts} | set(seen.index))
    ref = [sum(v for k, v in counts.items() if str(k) == label) / total for label in labels]
    x = np.arange(len(labels))
    ax.bar(x - 0.2, ref, 0.4, color=REFERENCE, label="reference")
    ax.bar(x + 0.2, [seen.get(label, 0.0) for label in labels], 0.4, color=CURRENT, label="window")
    ax.set_xticks(x, labels, rotation=30, ha="right")


def performance(points: list[dict], metric: str, baseline: float | None):
    """The metric per slice of the window, measured on labels and estimated without them."""
    fig, ax = figure(6.5, 2.8)
    for source, style in (("measured", "o-"), ("estimated", "s--")):
        xs = [p["end"] for p in points if p.get(source) is not None]
        ys = [p[source] for p in points if p.get(source) is not None]
        if xs:
            ax.plot(xs, ys, style, label=source, markersize=4)
    if baseline is not None:
        ax.axhline(baseline, color=NEUTRAL, linestyle=":", label="at registration")
    ax.set_ylabel(metric, fontsize=9)
    ax.set_xlabel("rows of the window, oldest to newest", fontsize=9)
    ax.legend(fontsize=8)
    ax.tick_params(labelsize=8)
    return image(fig)
