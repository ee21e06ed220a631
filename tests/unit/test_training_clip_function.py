"""train(clip=...) takes the reader's own clipping function, grads -> grads, besides
ClipValue and ClipNorm (the extension point of 02's capstone exercise); bad values of clip
raise a TypeError that says what clip takes."""

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def exploding():
    X, Y, _, _ = cu.datasets.load_circles()
    spec = cu.Spec((2, 10, 10, 1), activation="leaky_relu")
    return spec, cu.init_params(spec, "he_normal", rng=0, gain=4.0), X, Y


def _train(setting, clip, steps=20):
    spec, params, X, Y = setting
    return cu.train(spec, params, X, Y, cu.optimizers.sgd(0.5), steps=steps, clip=clip)


def test_a_clip_function_gives_the_same_run_as_clip_norm(exploding):
    mine = _train(exploding, lambda grads: cu.optimizers.clip_by_norm(grads, 0.25))
    library = _train(exploding, cu.ClipNorm(0.25))
    np.testing.assert_array_equal(mine.costs, library.costs)
    for k in library.params:
        np.testing.assert_array_equal(mine.params[k], library.params[k])


def test_a_clip_function_sees_every_step_unclipped_gradient(exploding):
    seen = []

    def spy(grads):
        seen.append(cu.optimizers.global_norm(grads))
        return grads

    plain = _train(exploding, None, steps=5)
    spied = _train(exploding, spy, steps=5)
    assert len(seen) == 5
    np.testing.assert_array_equal(spied.costs, plain.costs)  # returning grads changes nothing


def test_clip_value_and_clip_norm_still_work(exploding):
    for clip in (cu.ClipValue(0.1), cu.ClipNorm(1.0)):
        assert not _train(exploding, clip, steps=50).diverged


@pytest.mark.parametrize("clip, words", [
    (5.0, ["clip must be", "ClipNorm(threshold)", "a function grads -> grads", "float"]),
    ("norm", ["clip must be", "str"]),
    (cu.ClipNorm, ["clip=ClipNorm needs its threshold", "cu.ClipNorm(5.0)"]),
    (cu.ClipValue, ["clip=ClipValue needs its threshold"]),
])
def test_bad_clip_values_raise_a_type_error(exploding, clip, words):
    with pytest.raises(TypeError) as error:
        _train(exploding, clip, steps=1)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("function, words", [
    (lambda grads: None, ["must return a dict", "NoneType"]),
    (lambda grads: {k: g for k, g in grads.items() if k.startswith("dW")}, ["must return the keys"]),
    (lambda grads: {k: g.ravel() for k, g in grads.items()}, ["the clip function returned d", "with shape", "expected ("]),
])
def test_a_clip_function_returning_the_wrong_thing_raises_a_type_error(exploding, function, words):
    with pytest.raises(TypeError) as error:
        _train(exploding, function, steps=1)
    for word in words:
        assert word in str(error.value)
