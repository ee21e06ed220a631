"""Each optimizer against a hand-computed two-step update, schedules, clipping; with the
optional torch extra installed, against torch.optim over many steps."""

import math
import warnings

import numpy as np
import pytest

from course_utils import optimizers as opt

P0 = {"W1": np.array([[1.0, -2.0]]), "b1": np.array([[0.5]])}
G1 = {"dW1": np.array([[0.1, -0.3]]), "db1": np.array([[2.0]])}
G2 = {"dW1": np.array([[-0.2, 0.4]]), "db1": np.array([[1.0]])}


def two_steps(optimizer):
    state = optimizer.init(P0)
    params, state = optimizer.update(P0, G1, state)
    params, state = optimizer.update(params, G2, state)
    return params, state


def by_hand(step):
    """Apply a per-scalar update rule step(p, g1, g2) to every entry of P0."""
    out = {}
    for k, p in P0.items():
        out[k] = np.vectorize(step)(p, G1["d" + k], G2["d" + k])
    return out


def assert_params_equal(a, b):
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12, atol=1e-15)


def test_sgd():
    lr = 0.1
    assert_params_equal(two_steps(opt.sgd(lr))[0], by_hand(lambda p, g1, g2: p - lr * g1 - lr * g2))


def test_sgd_weight_decay_only_on_weights():
    lr, wd = 0.1, 0.5

    def rule(key):
        def step(p, g1, g2):
            decay = wd if key == "W1" else 0.0
            p = p - lr * g1 - lr * decay * p
            return p - lr * g2 - lr * decay * p
        return step
    params, _ = two_steps(opt.sgd(lr, weight_decay=wd))
    np.testing.assert_allclose(params["W1"], np.vectorize(rule("W1"))(P0["W1"], G1["dW1"], G2["dW1"]))
    np.testing.assert_allclose(params["b1"], np.vectorize(rule("b1"))(P0["b1"], G1["db1"], G2["db1"]))


def test_momentum():
    lr, beta = 0.1, 0.9

    def step(p, g1, g2):
        v = (1 - beta) * g1
        p = p - lr * v
        v = beta * v + (1 - beta) * g2
        return p - lr * v
    assert_params_equal(two_steps(opt.momentum(lr, beta))[0], by_hand(step))


def test_nesterov():
    lr, beta = 0.1, 0.9

    def step(p, g1, g2):
        v = (1 - beta) * g1
        p = p - lr * (beta * v + (1 - beta) * g1)
        v = beta * v + (1 - beta) * g2
        return p - lr * (beta * v + (1 - beta) * g2)
    assert_params_equal(two_steps(opt.nesterov(lr, beta))[0], by_hand(step))


def test_adagrad():
    lr, eps = 0.1, 1e-8

    def step(p, g1, g2):
        G = g1 ** 2
        p = p - lr * g1 / (math.sqrt(G) + eps)
        G += g2 ** 2
        return p - lr * g2 / (math.sqrt(G) + eps)
    assert_params_equal(two_steps(opt.adagrad(lr, eps))[0], by_hand(step))


def test_rmsprop():
    lr, beta, eps = 0.01, 0.9, 1e-8

    def step(p, g1, g2):
        s = (1 - beta) * g1 ** 2
        p = p - lr * g1 / (math.sqrt(s) + eps)
        s = beta * s + (1 - beta) * g2 ** 2
        return p - lr * g2 / (math.sqrt(s) + eps)
    assert_params_equal(two_steps(opt.rmsprop(lr, beta, eps))[0], by_hand(step))


def _adam_by_hand(lr, b1, b2, eps, wd=0.0, decay_key=True, correct=True):
    def step(p, g1, g2):
        m = v = 0.0
        for t, g in ((1, g1), (2, g2)):
            if decay_key:
                p = p - lr * wd * p
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** t) if correct else m
            v_hat = v / (1 - b2 ** t) if correct else v
            p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
        return p
    return step


def test_adam():
    assert_params_equal(two_steps(opt.adam(0.01))[0], by_hand(_adam_by_hand(0.01, 0.9, 0.999, 1e-8)))


def test_adam_without_bias_correction():
    params, _ = two_steps(opt.adam(0.01, bias_correction=False))
    assert_params_equal(params, by_hand(_adam_by_hand(0.01, 0.9, 0.999, 1e-8, correct=False)))


def test_adamw_decays_weights_not_biases():
    params, _ = two_steps(opt.adamw(0.01, weight_decay=0.1))
    W = np.vectorize(_adam_by_hand(0.01, 0.9, 0.999, 1e-8, wd=0.1))(P0["W1"], G1["dW1"], G2["dW1"])
    b = np.vectorize(_adam_by_hand(0.01, 0.9, 0.999, 1e-8, wd=0.1, decay_key=False))(P0["b1"], G1["db1"], G2["db1"])
    np.testing.assert_allclose(params["W1"], W, rtol=1e-12)
    np.testing.assert_allclose(params["b1"], b, rtol=1e-12)


@pytest.mark.parametrize("name", opt.NAMES)
def test_update_does_not_change_its_inputs(name):
    optimizer = opt.get(name, lr=0.1)
    before = {k: v.copy() for k, v in P0.items()}
    state = optimizer.init(P0)
    optimizer.update(P0, G1, state)
    for k in P0:
        np.testing.assert_array_equal(P0[k], before[k])
    assert state["step"] == 0


def test_missing_gradient_is_named():
    optimizer = opt.sgd(0.1)
    with pytest.raises(ValueError, match="db1"):
        optimizer.update(P0, {"dW1": G1["dW1"]}, optimizer.init(P0))


def test_schedule_as_learning_rate():
    schedule = opt.step_decay(0.1, drop=0.5, every=1)
    params, _ = two_steps(opt.sgd(schedule))
    assert_params_equal(params, by_hand(lambda p, g1, g2: p - 0.1 * g1 - 0.05 * g2))


def test_schedules():
    assert opt.step_decay(1.0, 0.5, 10)(25) == 0.25
    assert opt.exponential_decay(1.0, 0.9)(2) == pytest.approx(0.81)
    assert opt.inverse_time_decay(1.0, 1.0, every=10)(35) == pytest.approx(0.25)
    cosine = opt.cosine_decay(1.0, 100, lr_min=0.1)
    assert cosine(0) == 1.0 and cosine(50) == pytest.approx(0.55) and cosine(100) == pytest.approx(0.1)
    assert cosine(500) == pytest.approx(0.1)


def test_clipping():
    grads = {"dW1": np.array([[3.0, -4.0]]), "db1": np.array([[0.0]])}
    np.testing.assert_array_equal(opt.clip_by_value(grads, 1.0)["dW1"], [[1.0, -1.0]])
    clipped = opt.clip_by_norm(grads, 1.0)
    np.testing.assert_allclose(clipped["dW1"], [[0.6, -0.8]])
    assert opt.global_norm(clipped) == pytest.approx(1.0)
    assert opt.clip_by_norm(grads, 10.0) is grads  # under the threshold: unchanged


def test_clipping_by_norm_survives_overflow():
    # 1e200 squared overflows float64: the plain sum of squares is inf. The norm and the
    # clipped gradients must still be right, and no warning printed.
    grads = {"dW1": np.array([[3e200, -4e200]]), "db1": np.array([[0.0]])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert opt.global_norm(grads) == pytest.approx(5e200, rel=1e-15)
        clipped = opt.clip_by_norm(grads, 1.0)
    np.testing.assert_allclose(clipped["dW1"], [[0.6, -0.8]], rtol=1e-15)
    assert clipped["db1"][0, 0] == 0.0


def test_clipping_by_norm_when_the_norm_itself_overflows():
    # Entries near the largest float: even the norm (about 1.3e308 * sqrt(8)) is beyond
    # float64, but the direction is not.
    grads = {"dW1": np.full((2, 4), 1.3e308), "db1": np.array([[-1.3e308]])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clipped = opt.clip_by_norm(grads, 2.0)
    np.testing.assert_allclose(clipped["dW1"], np.full((2, 4), 2 / 3), rtol=1e-14)
    np.testing.assert_allclose(clipped["db1"], [[-2 / 3]], rtol=1e-14)
    assert opt.global_norm(clipped) == pytest.approx(2.0, rel=1e-14)


def test_clipping_by_norm_keeps_the_plain_arithmetic_below_overflow():
    rng = np.random.default_rng(0)
    grads = {"dW1": rng.normal(size=(5, 3)) * 1e10, "db1": rng.normal(size=(5, 1))}
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    assert opt.global_norm(grads) == norm  # bit for bit
    clipped = opt.clip_by_norm(grads, 0.5)
    for k, g in grads.items():
        np.testing.assert_array_equal(clipped[k], g * (0.5 / norm))


def test_clipping_leaves_non_finite_gradients_alone():
    for bad in (np.inf, np.nan):
        grads = {"dW1": np.array([[1.0, bad]])}
        assert opt.clip_by_norm(grads, 1.0) is grads


def test_schedules_are_checked_at_every_step():
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1 if t < 3 else 0.0

    optimizer = opt.sgd(schedule)
    params, state = P0, optimizer.init(P0)
    for _ in range(3):
        params, state = optimizer.update(params, G1, state)
    with pytest.raises(ValueError, match=r"lr\(3\) = 0.0 at step 3"):
        optimizer.update(params, G1, state)
    assert seen == [0, 0, 1, 2, 3]  # step 0 once when made, then once per update


def test_cosine_decay_to_zero_is_positive_for_total_steps():
    schedule = opt.cosine_decay(0.1, 1000)
    rates = [schedule(t) for t in range(1000)]
    assert min(rates) > 0 and schedule(1000) == 0.0  # train at most total_steps steps
    optimizer = opt.momentum(schedule)
    params, state = P0, optimizer.init(P0)
    for _ in range(1000):
        params, state = optimizer.update(params, G1, state)
    with pytest.raises(ValueError, match="step 1000"):
        optimizer.update(params, G1, state)


@pytest.mark.parametrize("make", [lambda lr: opt.sgd(lr, weight_decay=2.0),
                                  lambda lr: opt.adamw(lr, weight_decay=2.0)])
def test_weight_decay_below_one_step(make):
    make(0.49)  # lr * weight_decay = 0.98: allowed
    with pytest.raises(ValueError, match="lr \\* weight_decay = 1 >= 1"):
        make(0.5)
    optimizer = make(lambda t: 0.3 * (t + 1))  # a schedule that grows past lr * wd = 1
    params, state = P0, optimizer.init(P0)
    params, state = optimizer.update(params, G1, state)  # lr(0) * wd = 0.6
    with pytest.raises(ValueError, match=r"lr\(1\).*step 1.*1.2 >= 1"):
        optimizer.update(params, G1, state)


@pytest.mark.parametrize("make,error,words", [
    (lambda: opt.adam(0.1, beta2=1.0), ValueError, "beta2 must be in [0, 1), got 1"),
    (lambda: opt.adam(0.1, beta1=-0.1), ValueError, "beta1 must be in [0, 1)"),
    (lambda: opt.adam(0.1, eps=0.0), ValueError, "eps must be a finite number > 0"),
    (lambda: opt.rmsprop(0.1, beta=1.0), ValueError, "beta must be in [0, 1)"),
    (lambda: opt.adagrad(0.1, eps=-1.0), ValueError, "eps"),
    (lambda: opt.nesterov(0.1, beta=1.5), ValueError, "beta must be in [0, 1)"),
    (lambda: opt.adamw(0.1, weight_decay=-0.1), ValueError, "weight_decay must be a finite number >= 0"),
    (lambda: opt.sgd(float("nan")), ValueError, "lr must be a finite number > 0"),
    (lambda: opt.sgd(lambda t: -0.1), ValueError, "lr(0) = -0.1 at step 0"),
    (lambda: opt.adam(True), TypeError, "lr must be a number, got bool"),
    (lambda: opt.get("adam", beta=0.9), TypeError, "adam has no hyperparameter beta; it takes: lr, beta1"),
    (lambda: opt.step_decay(0.1, drop=1.5), ValueError, "drop must be in (0, 1]"),
    (lambda: opt.exponential_decay(0.1, rate=1.2), ValueError, "rate must be in (0, 1]"),
    (lambda: opt.cosine_decay(0.1, 0), ValueError, "total_steps"),
    (lambda: opt.inverse_time_decay(0.1, -1.0), ValueError, "decay_rate"),
])
def test_bad_hyperparameters_are_rejected_clearly(make, error, words):
    with pytest.raises(error) as info:
        make()
    assert words in str(info.value)


# ---------------------------------------------------------------- optional: torch.optim

try:
    import torch
except ImportError:  # the torch extra is optional: these tests are then skipped
    torch = None

TORCH_CASES = [
    # (ours, torch constructor) with matched conventions
    (lambda: opt.sgd(0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    # PyTorch's momentum is v = beta v + g: ours with lr * (1 - beta) follows the same path.
    (lambda: opt.momentum(0.05 / (1 - 0.9), 0.9),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    (lambda: opt.adagrad(0.1, eps=1e-10), lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10)),
    (lambda: opt.rmsprop(0.01, beta=0.99, eps=1e-8), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8)),
    (lambda: opt.adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    # PyTorch's Nesterov is v = beta v + g; p -= lr (g + beta v). Ours averages,
    # v = beta v + (1 - beta) g; p -= lr (beta v + (1 - beta) g), so our v is (1 - beta) times
    # theirs and, with lr / (1 - beta), every step is the same. (dampening must stay 0.)
    (lambda: opt.nesterov(0.05 / (1 - 0.9), 0.9),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    # AdamW: both multiply p by 1 - lr * weight_decay, then take the Adam step with the
    # gradient computed before the decay. PyTorch decays every tensor of the group; the only
    # tensor here is a weight "W1", which ours decays too (ours leaves biases alone).
    (lambda: opt.adamw(0.01, weight_decay=0.1),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
]


@pytest.mark.skipif(torch is None, reason="the optional torch extra is not installed")
@pytest.mark.parametrize("ours,theirs", TORCH_CASES)
def test_against_torch_optim(ours, theirs):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(3, 4))}
    target = rng.normal(size=(3, 4))
    weight = torch.tensor(params["W1"], requires_grad=True)
    torch_opt = theirs([weight])
    optimizer = ours()
    state = optimizer.init(params)
    for _ in range(200):
        grads = {"dW1": np.sin(params["W1"] - target) * 2}  # some smooth gradient field
        params, state = optimizer.update(params, grads, state)
        torch_opt.zero_grad()
        weight.grad = torch.sin(weight.detach() - torch.tensor(target)) * 2
        torch_opt.step()
    np.testing.assert_allclose(params["W1"], weight.detach().numpy(), rtol=1e-9, atol=1e-12)
