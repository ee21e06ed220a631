"""The plotting contract (DESIGN.md): each plotting function takes ax=None (then makes its own
figure) or draws on the given axes, and returns artists that a dashboard updates in place."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import StepPatch

from course_utils import plotting

X = np.array([[-1.0, 0.0, 1.0, 0.5], [0.5, -1.0, 1.0, 0.0]])
Y = np.array([[0, 1, 1, 0]])


def _bowl(x, y):
    return x ** 2 + 3 * y ** 2


CALLS = {
    "plot_costs": lambda ax: plotting.plot_costs([1.0, 0.5, 0.25], ax=ax),
    "plot_decision_boundary": lambda ax: plotting.plot_decision_boundary(
        lambda G: (G[0] > 0).astype(float), X, Y, ax=ax, resolution=20),
    "plot_layer_stats": lambda ax: plotting.plot_layer_stats([1.0, 0.5, 0.1], ax=ax,
                                                             predicted=[1.0, 0.4, 0.2]),
    "plot_layer_histograms": lambda ax: plotting.plot_layer_histograms(
        [np.linspace(-1, 1, 50).reshape(5, 10)] * 2, ax=ax),
    "plot_trajectories": lambda ax: plotting.plot_trajectories(
        _bowl, {"gd": [[1.5, 1.0], [1.0, 0.5], [0.5, 0.1]]}, ax=ax, resolution=30),
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name", CALLS)
def test_ax_none_makes_a_figure_and_ax_draws_on_the_given_one(name):
    before = len(plt.get_fignums())
    CALLS[name](None)
    assert len(plt.get_fignums()) == before + 1
    fig, ax = plt.subplots()
    n_figures = len(plt.get_fignums())
    CALLS[name](ax)
    assert len(plt.get_fignums()) == n_figures  # no new figure
    assert ax.lines or ax.images or ax.patches  # drawn on the given axes


def test_cost_line_updates_in_place():
    fig, ax = plt.subplots()
    line = plotting.plot_costs([1.0, 0.5, 0.25], ax=ax)
    assert isinstance(line, Line2D) and line.axes is ax
    line.set_data(np.arange(4), [1.0, 0.8, 0.6, 0.4])
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.8, 0.6, 0.4])


def test_diverged_costs_are_marked_in_words():
    fig, ax = plt.subplots()
    line = plotting.plot_costs([1.0, 2.0, np.inf, np.nan], ax=ax)
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 2.0])  # drawn up to the last finite
    marker, text = line.diverged_artists
    assert text.get_text() == "diverged at step 2"


def test_decision_boundary_updates_its_image_in_place():
    fig, ax = plt.subplots()
    artists = plotting.plot_decision_boundary(lambda G: (G[0] > 0).astype(float), X, Y,
                                              ax=ax, resolution=20)
    assert isinstance(artists.image, AxesImage) and artists.grid.shape == (2, 400)
    before = np.array(artists.image.get_array())
    artists.update(lambda G: (G[1] > 0).astype(float))
    after = np.array(artists.image.get_array())
    assert after.shape == (20, 20) and not np.array_equal(before, after)
    assert list(ax.images) == [artists.image]  # the same image, recoloured: nothing stacked


def test_layer_stats_lines_update_in_place():
    fig, ax = plt.subplots()
    measured, predicted = plotting.plot_layer_stats([1.0, 0.0, np.inf], ax=ax, predicted=[1, 1, 1])
    assert np.isnan(measured.get_ydata()[1:]).all()  # a log axis leaves out 0 and inf
    measured.set_ydata([0.5, 0.5, 0.5])
    assert len(ax.lines) == 2
    assert plotting.plot_layer_stats([1.0, 2.0], ax=ax)[1] is None  # no prediction asked


def test_histograms_are_step_patches_updated_with_set_data():
    fig, ax = plt.subplots()
    bins = np.linspace(-1, 1, 11)
    patches = plotting.plot_layer_histograms([np.zeros((2, 5)), np.ones((2, 5))], ax=ax, bins=bins)
    assert len(patches) == 2 and all(isinstance(p, StepPatch) for p in patches)
    heights = plotting.ridge_heights(np.linspace(-1, 1, 20), bins)
    patches[0].set_data(heights, bins, 0.0)
    np.testing.assert_array_equal(patches[0].get_data().values, heights)


def test_trajectory_lines_are_keyed_by_label():
    fig, ax = plt.subplots()
    lines = plotting.plot_trajectories(_bowl, {"gd": [[1.5, 1.0], [1.0, 0.5]],
                                               "adam": [[1.5, 1.0], [1.2, 0.8]]},
                                       ax=ax, resolution=30)
    assert set(lines) == {"gd", "adam"} and all(isinstance(l, Line2D) for l in lines.values())
    lines["gd"].set_data([1.5, 0.0], [1.0, 0.0])
    np.testing.assert_array_equal(lines["gd"].get_xdata(), [1.5, 0.0])
