"""Figures everyone can read: every figure a dashboard draws uses the course's palette
(matplotlib's colour-blind-safe "petroff10", cu.plotting.PALETTE) or greys, its colormaps
are the course's (the decision boundary's RdBu and perceptually uniform or single-hue
sequential maps), and its text is at least cu.plotting.MIN_FONT_SIZE points."""

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

import course_utils as cu

PALETTE = {mpl.colors.to_hex(c) for c in cu.plotting.PALETTE}
CMAPS = {cu.plotting.CMAP, *cu.plotting.SEQUENTIAL_CMAPS}
DASHBOARDS = sorted(name for name in dir(cu.widgets)
                    if name.endswith(("_dashboard", "_demo")) and callable(getattr(cu.widgets, name)))


def is_allowed(colour) -> bool:
    """A palette colour, a grey (black and white included), or fully transparent."""
    rgba = mpl.colors.to_rgba(colour)
    if rgba[3] == 0:
        return True
    r, g, b = rgba[:3]
    return mpl.colors.to_hex(rgba[:3]) in PALETTE or (abs(r - g) < 0.02 and abs(g - b) < 0.02)


def colours_of(artist) -> list:
    """The colours an artist is drawn with (a colormapped one is judged by its colormap)."""
    if isinstance(artist, Line2D):
        return [c for c in (artist.get_color(), artist.get_markerfacecolor(),
                            artist.get_markeredgecolor()) if not (isinstance(c, str) and c == "none")]
    if isinstance(artist, Text):
        return [artist.get_color()] if artist.get_text().strip() else []
    if isinstance(artist, Collection):
        if artist.get_array() is not None:
            return []  # colormapped: its colormap is checked
        return [*artist.get_facecolors(), *artist.get_edgecolors()]
    if isinstance(artist, Patch):
        return [artist.get_facecolor(), artist.get_edgecolor()]
    return []


def test_the_palette_is_matplotlibs_colour_blind_safe_style_and_applied_on_import():
    assert cu.plotting.PALETTE == tuple(
        mpl.style.library["petroff10"]["axes.prop_cycle"].by_key()["color"])
    cycle = [mpl.colors.to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [mpl.colors.to_hex(c) for c in cu.plotting.PALETTE]
    assert all(is_allowed(c) for c in cu.plotting.COLOURS.values())


def test_the_checker_rejects_colours_outside_the_palette():
    assert is_allowed("C2") and is_allowed("0.55") and is_allowed("k")
    assert not is_allowed("tab:green") and not is_allowed("#c62828") and not is_allowed("gold")


@pytest.fixture(scope="module", params=DASHBOARDS)
def dashboard(request):
    return getattr(cu.widgets, request.param)()


def test_there_is_a_dashboard_for_each_interactive_notebook():
    assert len(DASHBOARDS) >= 12


def test_every_figure_a_dashboard_draws_uses_the_palette(dashboard):
    figure = dashboard.view.figure
    off = sorted({f"{type(artist).__name__}: {mpl.colors.to_hex(colour, keep_alpha=False)}"
                  for artist in figure.findobj()
                  for colour in colours_of(artist) if not is_allowed(colour)})
    assert not off, f"colours outside the palette: {off}"


def test_every_colormap_is_the_courses(dashboard):
    maps = {artist.get_cmap().name for artist in dashboard.view.figure.findobj()
            if isinstance(artist, (AxesImage, Collection)) and artist.get_array() is not None}
    assert maps <= CMAPS, f"colormaps outside the course's: {maps - CMAPS}"


def test_text_in_figures_is_readable(dashboard):
    small = sorted({(artist.get_text()[:30], artist.get_fontsize())
                    for artist in dashboard.view.figure.findobj(Text)
                    if artist.get_visible() and artist.get_text().strip()
                    and artist.get_fontsize() < cu.plotting.MIN_FONT_SIZE})
    assert not small, f"text below {cu.plotting.MIN_FONT_SIZE} pt: {small}"


def test_the_decision_boundary_tells_the_classes_apart_by_shape_too():
    X = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 0.0]])
    Y = np.array([[0, 1, 0]])
    artists = cu.plotting.plot_decision_boundary(lambda G: np.zeros(G.shape[1]), X, Y, resolution=5)
    markers = [points.get_paths()[0].vertices.shape for points in artists.points]
    assert len(artists.points) == 2 and markers[0] != markers[1]
    assert [len(points.get_offsets()) for points in artists.points] == [2, 1]
