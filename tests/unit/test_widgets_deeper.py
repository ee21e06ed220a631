"""The Deeper-networks dashboard without a browser: every control changes the figure, the
status line says what happened in words, and nothing raises. A shorter run (10 steps)
keeps the tests quick."""

import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def dashboard():
    return cu.widgets.deeper_dashboard(steps=10)


def test_default_figure_is_drawn_and_stored(dashboard):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == "Deeper networks dashboard (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("values", [{"depth": 32}, {"residual": True}, {"norm": "layer"},
                                    {"norm": "batch"}, {"sigma_w2": 8.0}, {"warmup": 5}])
def test_every_control_changes_the_figure_or_the_words(dashboard, values):
    dashboard.set(depth=8, residual=False, norm="none", sigma_w2=2.0, warmup=1)
    before, said = dashboard.view.png, dashboard.status_text()
    dashboard.set(**values)
    assert dashboard.view.png != before or dashboard.status_text() != said
    assert dashboard.status_text()[0].isupper()


def test_an_exploding_setting_is_said_in_words(dashboard):
    dashboard.set(depth=64, residual=False, norm="none", sigma_w2=16.0, warmup=1)
    text = dashboard.status_text()
    assert not text.startswith("Learned")
    assert any(word in text for word in ("Diverged", "Blew up", "At chance", "Stalled", "Got worse"))
