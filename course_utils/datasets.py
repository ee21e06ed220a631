"""Small datasets in column layout: X has shape (n_x, m), Y has shape (1, m) or (K, m).

Every loader returns (train_X, train_Y, test_X, test_Y), draws only from the seed or rng it is
given, downloads nothing and never plots.
"""

from __future__ import annotations

import numpy as np
import sklearn.datasets
from sklearn.model_selection import train_test_split

from ._validate import as_rng, positive_int, positive_number


def _columns(X, y):
    """sklearn's rows-as-examples (m, n_x), (m,) -> our columns (n_x, m), (1, m).

    The transpose is copied into a contiguous array: matrix products with it are faster.
    """
    return np.ascontiguousarray(X.T), y.reshape(1, -1)


def one_hot(labels, n_classes: int) -> np.ndarray:
    """Class indices of shape (m,) or (1, m) -> one-hot Y of shape (n_classes, m)."""
    labels = np.asarray(labels).ravel()
    Y = np.zeros((n_classes, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def load_circles():
    """The seed's `load_dataset`: two noisy concentric circles.

    Train: sklearn's make_circles(300, noise=.05, random_state=1); test: 100 points with
    random_state=2. The seed seeded numpy's global stream with 1 and 2 instead; both give
    RandomState(1) and RandomState(2), so the points are identical.
    Returns X (2, 300), Y (1, 300) of int labels, X_test (2, 100), Y_test (1, 100).
    """
    train_X, train_Y = sklearn.datasets.make_circles(n_samples=300, noise=0.05, random_state=1)
    test_X, test_Y = sklearn.datasets.make_circles(n_samples=100, noise=0.05, random_state=2)
    return (*_columns(train_X, train_Y), *_columns(test_X, test_Y))


def load_moons(n_train: int = 300, n_test: int = 100, noise: float = 0.2, random_state: int = 3):
    """Two interleaving half-moons (sklearn's make_moons); the source course's optimizer task
    is the training part with the defaults (300 points, noise 0.2, random_state 3).
    The test set is drawn with random_state + 1. Shapes (2, m), (1, m)."""
    positive_int(n_train, "n_train")
    positive_int(n_test, "n_test")
    positive_number(noise, "noise", allow_zero=True)
    train_X, train_Y = sklearn.datasets.make_moons(n_train, noise=noise, random_state=random_state)
    test_X, test_Y = sklearn.datasets.make_moons(n_test, noise=noise, random_state=random_state + 1)
    return (*_columns(train_X, train_Y), *_columns(test_X, test_Y))


def _spiral_points(n_per_class: int, turns: float, noise: float, rng):
    """Two interleaved spiral arms, class 0 and class 1, in the square [-1, 1]^2."""
    t = np.sqrt(rng.random(n_per_class)) * turns * 2 * np.pi  # denser near the outside
    radius = t / (turns * 2 * np.pi)
    arms = []
    for label, phase in ((0, 0.0), (1, np.pi)):
        x = radius * np.cos(t + phase) + noise * rng.standard_normal(n_per_class)
        y = radius * np.sin(t + phase) + noise * rng.standard_normal(n_per_class)
        arms.append((np.stack([x, y]), np.full(n_per_class, label)))
    X = np.concatenate([a[0] for a in arms], axis=1)
    Y = np.concatenate([a[1] for a in arms]).reshape(1, -1)
    order = rng.permutation(X.shape[1])
    return np.ascontiguousarray(X[:, order]), Y[:, order]


def load_spirals(n_train: int = 300, n_test: int = 100, turns: float = 1.5,
                 noise: float = 0.05, rng=0):
    """Two spiral arms, a task a shallow net finds hard. Shapes (2, m), (1, m) with int labels."""
    rng = as_rng(rng)
    for value, name in ((n_train, "n_train"), (n_test, "n_test")):
        positive_int(value, name, minimum=2)
    positive_number(turns, "turns")
    positive_number(noise, "noise", allow_zero=True)
    train_X, train_Y = _spiral_points(n_train // 2, turns, noise, rng)
    test_X, test_Y = _spiral_points(n_test // 2, turns, noise, rng)
    return train_X, train_Y, test_X, test_Y


def load_xor(n_train: int = 300, n_test: int = 100, noise: float = 0.1, rng=0):
    """XOR: the label is 1 when x1 and x2 have different signs. Points uniform in [-1, 1]^2,
    jittered by Gaussian noise after labelling. Shapes (2, m), (1, m) with int labels."""
    rng = as_rng(rng)
    positive_int(n_train, "n_train")
    positive_int(n_test, "n_test")
    positive_number(noise, "noise", allow_zero=True)

    def draw(m):
        X = rng.uniform(-1, 1, size=(2, m))
        Y = ((X[0] > 0) != (X[1] > 0)).astype(int).reshape(1, -1)
        return X + noise * rng.standard_normal(X.shape), Y

    return (*draw(n_train), *draw(n_test))


def load_two_scales(n_train: int = 200, n_test: int = 100, scale_ratio: float = 100.0, rng=0):
    """A linearly separable 2-D set whose second feature is `scale_ratio` times larger than
    the first: the input-normalization example. Both features carry the same information
    before scaling (the label is 1 when x1 + x2 + noise > 0).
    Shapes (2, m), (1, m) with int labels."""
    rng = as_rng(rng)
    positive_int(n_train, "n_train")
    positive_int(n_test, "n_test")
    positive_number(scale_ratio, "scale_ratio")

    def draw(m):
        X = rng.standard_normal((2, m))
        Y = (X[0] + X[1] + 0.5 * rng.standard_normal(m) > 0).astype(int).reshape(1, -1)
        X[1] *= scale_ratio
        return X, Y

    return (*draw(n_train), *draw(n_test))


def _split_bundled(bunch, test_size: float, random_state: int, n_classes: int | None):
    """Split a sklearn Bunch (rows as examples) stratified, return columns; one-hot if K > 2."""
    X_train, X_test, y_train, y_test = train_test_split(
        bunch.data, bunch.target, test_size=test_size, random_state=random_state,
        stratify=bunch.target)
    if n_classes is None:  # binary: labels (1, m)
        return (*_columns(X_train, y_train), *_columns(X_test, y_test))
    return (np.ascontiguousarray(X_train.T), one_hot(y_train, n_classes),
            np.ascontiguousarray(X_test.T), one_hot(y_test, n_classes))


def load_digits(test_size: float = 0.25, random_state: int = 0):
    """sklearn's bundled 8x8 digits (1,797 images), pixels scaled to [0, 1].
    X (64, m); Y one-hot (10, m). Stratified split with `random_state`."""
    bunch = sklearn.datasets.load_digits()
    bunch.data = bunch.data / 16.0
    return _split_bundled(bunch, test_size, random_state, n_classes=10)


def load_breast_cancer(test_size: float = 0.25, random_state: int = 0):
    """sklearn's bundled Wisconsin breast-cancer set: 30 raw features on very different
    scales (about 0.001 to 4,000), not standardized. X (30, m); Y (1, m), 1 = benign."""
    bunch = sklearn.datasets.load_breast_cancer()
    return _split_bundled(bunch, test_size, random_state, n_classes=None)


def load_wine(test_size: float = 0.25, random_state: int = 0):
    """sklearn's bundled wine set: 13 raw features, 3 classes. X (13, m); Y one-hot (3, m)."""
    bunch = sklearn.datasets.load_wine()
    return _split_bundled(bunch, test_size, random_state, n_classes=3)


OVERFIT_2D_FILE = "overfit_2d.csv"


def load_overfit_2d(validation: bool = False):
    """A small noisy 2-D set that a large network overfits (07_regularization).

    Read from the course's data/overfit_2d.csv, written once by scripts/make_overfit_data.py:
    points uniform in [-1, 1]^2, class 1 mostly above the curve x2 = 0.4 sin(pi x1), with
    noisy labels near the curve and 10% wrong labels far from it (predicting by the curve
    is right about 90% of the time). 200 training, 200 validation and 1,000 test points.

    Returns (X, Y, X_test, Y_test), or with validation=True
    (X, Y, X_val, Y_val, X_test, Y_test): X (2, m) float, Y (1, m) int labels.
    """
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "data" / OVERFIT_2D_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run scripts/make_overfit_data.py from the "
                                "course's folder (the file ships with the course)")
    table = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    splits = {}
    for split in ("train", "val", "test"):
        rows = table[table["split"] == split]
        X = np.ascontiguousarray(np.stack([rows["x1"], rows["x2"]]).astype(float))
        splits[split] = (X, rows["y"].astype(int).reshape(1, -1))
    if validation:
        return (*splits["train"], *splits["val"], *splits["test"])
    return (*splits["train"], *splits["test"])


def load_sweep(name: str) -> dict:
    """A stored sweep, data/<name>.json, as the dict its script in scripts/ wrote.

    The course ships results of sweeps too slow to run inside a notebook in its data/ folder
    (data/README.md lists them). The folder is found from the package, not from the working
    directory, so a notebook or script finds it wherever it runs (the course is installed
    editable). name: e.g. "xavier_vs_he" (".json" may be added).
    """
    import json
    import pathlib

    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'xavier_vs_he', got {type(name).__name__}")
    folder = pathlib.Path(__file__).parents[1] / "data"
    stem = name[:-len(".json")] if name.endswith(".json") else name
    known = sorted(path.stem for path in folder.glob("*.json"))
    if stem not in known:
        raise ValueError(f"name must be one of the stored sweeps in {folder}: "
                         f"{', '.join(known) or 'none found'}; got {name!r}")
    return json.loads((folder / f"{stem}.json").read_text())
