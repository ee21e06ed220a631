"""A small noisy 2-D classification set that a large network overfits: data/overfit_2d.csv.

Points uniform in the square [-1, 1]^2. The true boundary is the curve
x2 = 0.4 sin(pi x1); a point above it is class 1 with probability

    P(y = 1 | x) = 0.1 + 0.8 * sigmoid((x2 - 0.4 sin(pi x1)) / 0.05),

so labels are noisy near the curve and 10% of the points far from it have the wrong label
(the best possible accuracy, predicting by the curve, is about 90%). Splits: 200 training
points (as in the source course's 211-point task), 200 for validation (early stopping and
the dashboard's curves) and 1,000 for testing (so a test accuracy is good to about 1%).
Coordinates are rounded to 4 decimals; the file, not this script, is what the course loads
(cu.datasets.load_overfit_2d).

    python scripts/make_overfit_data.py
"""

from __future__ import annotations

import pathlib

import numpy as np

OUT = pathlib.Path(__file__).parents[1] / "data" / "overfit_2d.csv"
SEED = 0
SPLITS = {"train": 200, "val": 200, "test": 1000}
AMPLITUDE, WIDTH, FLIP = 0.4, 0.05, 0.1


def true_boundary(x1: np.ndarray) -> np.ndarray:
    """The curve x2 = 0.4 sin(pi x1) that separates the classes before the noise."""
    return AMPLITUDE * np.sin(np.pi * x1)


def probability_of_class_1(X: np.ndarray) -> np.ndarray:
    """P(y = 1 | x) for points X (2, m): FLIP far below the curve, 1 - FLIP far above."""
    distance = X[1] - true_boundary(X[0])
    return FLIP + (1 - 2 * FLIP) / (1 + np.exp(-distance / WIDTH))


def make(rng: np.random.Generator):
    """Rows (split, x1, x2, y) of every split, drawn in order train, val, test."""
    rows = []
    for split, m in SPLITS.items():
        X = np.round(rng.uniform(-1, 1, size=(2, m)), 4)
        y = (rng.random(m) < probability_of_class_1(X)).astype(int)
        rows += [(split, X[0, i], X[1, i], y[i]) for i in range(m)]
    return rows


def main() -> None:
    rows = make(np.random.default_rng(SEED))
    lines = ["split,x1,x2,y"] + [f"{s},{a:.4f},{b:.4f},{y}" for s, a, b, y in rows]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(rows)} points to {OUT}")


if __name__ == "__main__":
    main()
