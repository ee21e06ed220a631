"""The capstone dashboard without a browser: every box changes the figure and the doctor's
panel, the status says what the run did in words, and nothing raised."""

import pytest

import course_utils as cu
from course_utils.lessons import capstone as cap


@pytest.fixture(scope="module")
def dashboard():
    return cu.widgets.capstone_dashboard()


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(dashboard):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == "Capstone dashboard (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("name", cap.FIX_NAMES)
def test_every_box_changes_the_figure(dashboard, name):
    dashboard.set(**{n: False for n in cap.FIX_NAMES})
    before = dashboard.view.png
    dashboard.set(**{name: True})
    assert dashboard.view.png != before
    assert dashboard.status_text()[0].isupper()


def test_status_and_panel_say_what_happened(dashboard):
    dashboard.set(**{n: False for n in cap.FIX_NAMES})
    assert dashboard.status_text().startswith("At chance")
    assert dashboard.doctor.text.get_text().startswith("1. Unnormalized inputs (01)")
    dashboard.set(standardize=True, init=True, relu=True)
    assert dashboard.status_text().startswith("Diverged at step")
    assert dashboard.cost.note.get_text().startswith("diverged at step")
    dashboard.set(lower_lr=True)
    text = dashboard.status_text()
    assert "far below" in text and "no fault" in text  # learned, badly: never a success
    dashboard.set(shallow=True)
    assert "test accuracy 0.9" in dashboard.status_text()
    assert dashboard.doctor.text.get_text() == "No fault found."


def test_every_setting_is_stored_and_revisits_are_cached(dashboard):
    assert len(dashboard.runs) == 32
    dashboard.timings.clear()
    dashboard.set(**{n: True for n in cap.FIX_NAMES})
    dashboard.set(shallow=False)
    dashboard.set(shallow=True)
    assert dashboard.timings[-1]["kind"] == "cached"


def test_unknown_fix_is_a_clear_error():
    with pytest.raises(ValueError, match="fixes must be names"):
        cu.widgets.capstone_dashboard(fixes=("dropout",))
