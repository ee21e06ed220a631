"""The seed notebook's own code, run through course_utils.init_utils, prints the seed's
published results (seed 003)."""

import contextlib
import io
import pathlib
import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

import course_utils as cu

SEED_CODE = pathlib.Path(__file__).parents[1] / "seed_003_notebook.py"


@pytest.fixture(scope="module")
def seed_output():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")  # the seed printed RuntimeWarnings; we must not
        exec(compile(SEED_CODE.read_text(), str(SEED_CODE), "exec"), {"__name__": "seed"})
    plt.close("all")
    return out.getvalue()


def _section(text, start, end=None):
    i = text.index(start)
    j = text.index(end, i + 1) if end else len(text)
    return text[i:j]


def _costs(section):
    return {int(i): c for i, c in re.findall(r"Cost after iteration (\d+): (\S+)", section)}


def _accuracies(section):
    return [float(a) for a in re.findall(r"Accuracy: (\S+)", section)]


def test_zeros_stays_at_ln2(seed_output):
    zeros = _section(seed_output, "Cost after iteration 0", "W1 = [[ 17.88")
    costs = _costs(zeros)
    assert len(costs) == 15
    for cost in costs.values():
        assert float(cost) == pytest.approx(np.log(2), abs=1e-15)
    assert _accuracies(zeros) == [0.5, 0.5]


def test_large_random_init_starts_at_inf(seed_output):
    section = _section(seed_output, "W1 = [[ 17.88", "W1 = [[ 1.78")
    costs = _costs(section)
    assert costs[0] == "inf"
    assert float(costs[14000]) == pytest.approx(0.383, abs=0.001)  # published 0.38279...
    assert _accuracies(section) == [0.83, 0.86]


def test_he_init_reproduces_published_numbers(seed_output):
    section = _section(seed_output, "W1 = [[ 1.78")
    costs = _costs(section)
    assert float(costs[0]) == pytest.approx(0.8830537463419761, rel=1e-14)
    assert float(costs[14000]) == pytest.approx(0.07357895962677365, rel=1e-9)
    acc = _accuracies(section)
    assert acc[0] == pytest.approx(0.9933333333333333, abs=1e-15)
    assert acc[1] == 0.96


def test_unit_test_prints_match_the_seed(seed_output):
    assert "W1 = [[ 17.88628473   4.36509851   0.96497468]" in seed_output
    assert "W2 = [[-0.03098412 -0.33744411 -0.92904268  0.62552248]]" in seed_output


def test_load_dataset_matches_library_loader():
    train_X, train_Y, test_X, test_Y = cu.init_utils.load_dataset()
    plt.close("all")
    ours = cu.datasets.load_circles()
    for a, b in zip((train_X, train_Y, test_X, test_Y), ours):
        np.testing.assert_array_equal(a, b)


def test_library_network_reproduces_he_run():
    """The general library, from the seed's He parameters, takes the very same path."""
    X, Y, X_test, Y_test = cu.datasets.load_circles()
    spec = cu.Spec((2, 10, 5, 1), activation="relu")
    params = cu.init_utils.initialize_parameters_he([2, 10, 5, 1])
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.01), steps=15_000, progress=False)
    assert hist.costs[0] == pytest.approx(0.8830537463419761, rel=1e-12)
    assert hist.costs[14000] == pytest.approx(0.0735789596, rel=1e-6)
    assert cu.accuracy(spec, hist.params, X, Y) == pytest.approx(298 / 300)
    assert cu.accuracy(spec, hist.params, X_test, Y_test) == 0.96
