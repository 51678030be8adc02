"""Charts for the model card (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt


def precision_recall_chart(
    scores: npt.ArrayLike, labels: npt.ArrayLike, path: Path, title: str
) -> None:
    """Precision, recall and alerts per 1,000 transactions against the score threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    thresholds = np.linspace(0.0, 1.0, 201)
    alerts = np.array([(s >= t).sum() for t in thresholds])
    hits = np.array([((s >= t) & (y == 1)).sum() for t in thresholds])
    precision = np.where(alerts > 0, hits / np.maximum(alerts, 1), np.nan)
    recall = hits / max(int(y.sum()), 1)
    fig, left = plt.subplots(figsize=(8, 4.5), dpi=110)
    left.plot(thresholds, precision, label="precision", color="tab:blue")
    left.plot(thresholds, recall, label="recall", color="tab:orange")
    left.set_xlabel("alert threshold (calibrated fraud probability)")
    left.set_ylabel("precision / recall")
    left.set_ylim(0, 1.02)
    left.grid(alpha=0.3)
    right = left.twinx()
    right.plot(
        thresholds,
        alerts / len(s) * 1000,
        label="alerts per 1,000 tx",
        color="tab:gray",
        linestyle="--",
    )
    right.set_ylabel("alerts per 1,000 transactions")
    right.set_yscale("log")
    lines = left.get_lines() + right.get_lines()
    left.legend(lines, [str(line.get_label()) for line in lines], loc="center right")
    left.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
