"""The exercises of 05_optimizers: every grader accepts the solutions notebook's own code,
and the capstone graders (exercise 4: the reader's momentum and Adam as optimizers of a
real training run) accept every correct form and name the typical wrong ones.

The wrong answers below are written as a reader would write them, independently of the
graders' own list of mistakes, so the test checks that a mistake is recognised by the run
it produces, not by the code that produced it."""

import pathlib
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course_utils as cu  # noqa: E402
from notebook_code import run_code_cells  # noqa: E402
from course_utils.checks import optimizers as graders  # noqa: E402
from course_utils.checks._runs import relative_difference, traced  # noqa: E402

ROOT = pathlib.Path(__file__).parents[2]
SOLUTIONS = ROOT / "solutions" / "05_optimizers_solutions.ipynb"
NOTEBOOK = ROOT / "notebooks" / "05_optimizers.ipynb"
Optimizer = cu.optimizers.Optimizer
LR, BETA = graders.MOMENTUM_LR, graders.MOMENTUM_BETA
LR_ADAM, BETA1, BETA2, EPS = (graders.ADAM_LR, graders.ADAM_BETA1, graders.ADAM_BETA2,
                              graders.ADAM_EPS)


@pytest.fixture(scope="module")
def solutions():
    """What the solutions notebook's code cells define, run as the notebook runs them."""
    return run_code_cells(SOLUTIONS)


# ---------------------------------------------------------------- the solutions notebook


@pytest.mark.parametrize("grader,name", [
    ("momentum_step", "momentum_step"), ("bias_correction", "bias_correction"),
    ("adagrad_step_size", "step_100"), ("momentum_in_training", "my_momentum"),
    ("adam_in_training", "my_adam"), ("momentum_in_training", "heavy_ball"),
    ("adam_in_training", "tensorflow_adam")])
def test_the_solutions_notebook_passes_every_grader(solutions, grader, name):
    feedback = getattr(cu.checks, grader)(solutions[name])
    assert feedback.passed, str(feedback)


def test_the_solutions_notebook_stores_passing_verdicts():
    cells = nbformat.read(SOLUTIONS, as_version=4).cells
    texts = ["".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                     for o in cell.outputs) for cell in cells if cell.cell_type == "code"]
    verdicts = [text for text in texts if ": all checks passed" in text or ": not yet" in text]
    assert len(verdicts) == 6 and all("not yet" not in text for text in verdicts), verdicts
    assert sum(text.count("all checks passed") for text in verdicts) == 7


def test_the_notebooks_stubs_show_what_to_do_not_the_answer():
    cells = {cell.id: cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells}
    for cell_id, name in (("c05cap02", "momentum_update"), ("c05cap03", "adam_update")):
        text = "".join(o.get("data", {}).get("text/plain", "") for o in cells[cell_id].outputs)
        assert f"{name} should return a pair (new params, new state)" in text, text
        for formula in ("1 - beta", "sqrt", "beta1 **", "lr *"):
            assert formula not in text, text
    markdown = "\n".join(c.source for c in cells.values() if c.cell_type == "markdown")
    assert "<details><summary>Solutions" not in markdown  # moved to solutions/


# ---------------------------------------------------------------- momentum: right forms


def zeros(params):
    return {k: np.zeros_like(p) for k, p in params.items()}


def momentum_init(params):
    return {"step": 0, "v": zeros(params)}


def momentum_of(update, init=momentum_init):
    return Optimizer("reader's momentum", init, update, {"lr": LR, "beta": BETA})


def course_form(params, grads, state):
    new, v = {}, {}
    for k in params:
        v[k] = BETA * state["v"][k] + (1 - BETA) * grads["d" + k]
        new[k] = params[k] - LR * v[k]
    return new, {"step": state["step"] + 1, "v": v}


def heavy_ball(params, grads, state):
    """PyTorch's form: no (1 - beta) in v, and the rate converted, lr' = lr (1 - beta)."""
    v = {k: BETA * state["v"][k] + grads["d" + k] for k in params}
    return {k: params[k] - LR * (1 - BETA) * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def movement_form(params, grads, state):
    """Seed 001's 'movement = last movement - gradient' with u = -lr v."""
    u = {k: BETA * state["v"][k] - LR * (1 - BETA) * grads["d" + k] for k in params}
    return {k: params[k] + u[k] for k in params}, {"step": state["step"] + 1, "v": u}


def state_in_place(params, grads, state):
    """The state's arrays written in place (harmless: cu.train keeps the returned state)."""
    for k in params:
        state["v"][k] *= BETA
        state["v"][k] += (1 - BETA) * grads["d" + k]
    state["step"] += 1
    return {k: params[k] - LR * state["v"][k] for k in params}, state


def averaged_by_difference(params, grads, state):
    """v += (1 - beta) (g - v): the same average, another rounding."""
    v = {k: state["v"][k] + (1 - BETA) * (grads["d" + k] - state["v"][k]) for k in params}
    return {k: params[k] - LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def with_out_arguments(params, grads, state):
    """The velocity updated with out= and the new parameters subtracted in place into
    copies: nothing the caller passed as params is changed."""
    new = {}
    for k, p in params.items():
        v = state["v"][k]
        np.multiply(v, BETA, out=v)
        v += (1 - BETA) * grads["d" + k]
        new[k] = p.copy()
        new[k] -= LR * v
    state["step"] += 1
    return new, state


def grads_scaled_in_place(params, grads, state):
    """The gradients (fresh at every step in cu.train) scaled in place: harmless."""
    v = {}
    for k in params:
        g = grads["d" + k]
        g *= 1 - BETA
        v[k] = BETA * state["v"][k] + g
    return {k: params[k] - LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def lazy_velocity(params, grads, state):
    """init holds only the step count; the velocity starts at zero on the first update."""
    old = state.get("v") or zeros(params)
    v = {k: BETA * old[k] + (1 - BETA) * grads["d" + k] for k in params}
    return [{k: params[k] - LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}]


def tuple_state(params, grads, state):
    """A state that is no dict (cu.train only hands it back) and keyed by the grads."""
    step, old = state
    v = {g[1:]: BETA * old[g[1:]] + (1 - BETA) * grads[g] for g in grads}
    return {k: params[k] - LR * v[k] for k in params}, (step + 1, v)


def extra_keys(params, grads, state):
    new, kept = course_form(params, grads, state)
    return new, {**kept, "lr": state["lr"], "seen": state["seen"] + 1}


@pytest.mark.parametrize("update", [course_form, heavy_ball, movement_form, state_in_place,
                                    averaged_by_difference, with_out_arguments,
                                    grads_scaled_in_place])
def test_momentum_in_training_accepts_every_correct_form(update):
    feedback = cu.checks.momentum_in_training(momentum_of(update))
    assert feedback.passed, str(feedback)
    assert "matches the library's at every step (60 steps" in str(feedback)


@pytest.mark.parametrize("optimizer", [
    Optimizer("no hyper", momentum_init, heavy_ball),  # hyper is only a record: any will do
    Optimizer("other hyper", momentum_init, heavy_ball, {"learning_rate": LR * (1 - BETA)}),
    Optimizer("lazy", lambda params: {"step": 0}, lazy_velocity, {}),
    Optimizer("tuple state", lambda params: (0, zeros(params)), tuple_state, {"lr": LR}),
    Optimizer("extra keys", lambda params: {**momentum_init(params), "lr": LR, "seen": 0},
              extra_keys, {"lr": LR, "beta": BETA}),
])
def test_momentum_in_training_accepts_any_hyper_and_any_state(optimizer):
    feedback = cu.checks.momentum_in_training(optimizer)
    assert feedback.passed, str(feedback)


def test_momentum_in_training_accepts_the_library_itself():
    assert cu.checks.momentum_in_training(cu.optimizers.momentum(LR, BETA)).passed


# ---------------------------------------------------------------- momentum: wrong forms


def no_averaging(params, grads, state):
    v = {k: BETA * state["v"][k] + grads["d" + k] for k in params}  # the heavy ball at lr
    return {k: params[k] - LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def averaged_twice(params, grads, state):
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    return {k: params[k] - LR * (1 - BETA) * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def old_velocity(params, grads, state):
    new = {k: params[k] - LR * state["v"][k] for k in params}
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    return new, {"step": state["step"] + 1, "v": v}


def gradient_step(params, grads, state):
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    return {k: params[k] - LR * grads["d" + k] for k in params}, {"step": state["step"] + 1, "v": v}


def swapped(params, grads, state):
    v = {k: (1 - BETA) * state["v"][k] + BETA * grads["d" + k] for k in params}
    return {k: params[k] - LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def uphill(params, grads, state):
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    return {k: params[k] + LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def nesterov(params, grads, state):
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    new = {k: params[k] - LR * (BETA * v[k] + (1 - BETA) * grads["d" + k]) for k in params}
    return new, {"step": state["step"] + 1, "v": v}


def one_velocity_for_all(params, grads, state):
    v, new = state["v"], {}
    for k in params:
        v = BETA * v + (1 - BETA) * grads["d" + k]
        new[k] = params[k] - LR * v
    return new, {"step": state["step"] + 1, "v": v}


def params_in_place(params, grads, state):
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    for k in params:
        params[k] -= LR * v[k]
    return params, {"step": state["step"] + 1, "v": v}


def half_the_rate(params, grads, state):  # no known mistake, but every step is half as long
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    return {k: params[k] - LR / 2 * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def signs_averaged(params, grads, state):  # no known mistake: a generic parting
    v = {k: BETA * state["v"][k] + (1 - BETA) * np.sign(grads["d" + k]) for k in params}
    return {k: params[k] - LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


def state_not_returned(params, grads, state):
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads["d" + k] for k in params}
    return {k: params[k] - LR * v[k] for k in params}, state


def grads_without_d(params, grads, state):
    v = {k: BETA * state["v"][k] + (1 - BETA) * grads[k] for k in params}
    return {k: params[k] - LR * v[k] for k in params}, {"step": state["step"] + 1, "v": v}


MOMENTUM_WRONG = [
    (momentum_of(no_averaging), "no (1 - beta), so every step is 10 times too long",
     "with the step lr * (1 - beta) * v"),
    (momentum_of(averaged_twice), "(1 - beta) twice", "the heavy ball"),
    (momentum_of(old_velocity), "the step uses the old velocity", "update v first"),
    (momentum_of(gradient_step), "that is gradient descent", "step with the velocity"),
    (momentum_of(swapped), "beta and 1 - beta swapped", "weighs the old velocity"),
    (momentum_of(uphill), "the step goes uphill", "against the gradient"),
    (momentum_of(nesterov), "Nesterov's look-ahead", "the new velocity itself"),
    (momentum_of(one_velocity_for_all, lambda params: {"step": 0, "v": 0.0}),
     "one array shared by parameters of different shapes", "one array per parameter"),
    (momentum_of(params_in_place), "changed the parameters it was given", "return new arrays"),
    (momentum_of(lambda params, grads, state: None, lambda params: None),
     "should return a pair (new params, new state), got NoneType", "return new_params, new_state"),
    (momentum_of(lambda params, grads, state: course_form(params, grads, state)[0]),
     "should return a pair", "return new_params, new_state"),
    (course_form, "expected an Optimizer, got function", "cu.optimizers.Optimizer("),
    (momentum_of(lambda params, grads, state: 1 / 0), "your code raised ZeroDivisionError",
     "run your function by itself"),
    (momentum_of(half_the_rate), "your first update is 0.5 times the library's",
     "check the rate (lr = 0.1)"),
    (momentum_of(signs_averaged), "your run parts from the library's at step 0",
     "v = beta * v + (1 - beta) * g, p = p - lr * v"),
    (momentum_of(state_not_returned), "the velocity is not carried over",
     "not the one you were given"),
    (momentum_of(grads_without_d), "grads has no key 'W1'", 'grads["d" + k]'),
    (momentum_of(course_form, lambda params: {"step": 0, "v": 0}),
     "holds one number in 'v'", "one array per parameter"),
    (momentum_of(course_form, lambda params: {"step": 0}), "the state your init returns has "
     "no 'v'", "init must return every key update reads"),
]


@pytest.mark.parametrize("answer,words,hint", MOMENTUM_WRONG)
def test_momentum_in_training_names_the_mistake(answer, words, hint):
    feedback = cu.checks.momentum_in_training(answer)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)
    assert hint in (feedback.hint or ""), str(feedback)


def test_the_parting_says_where_and_which_parameter():
    text = str(cu.checks.momentum_in_training(momentum_of(half_the_rate)))
    assert "at step 0" in text and "differs most (relative difference" in text, text


# ---------------------------------------------------------------- Adam: right forms


def adam_init(params):
    return {"step": 0, "m": zeros(params), "v": zeros(params)}


def adam_of(update, init=adam_init):
    return Optimizer("reader's Adam", init, update,
                     {"lr": LR_ADAM, "beta1": BETA1, "beta2": BETA2, "eps": EPS})


def make_adam(step_of, *, t_of=lambda state: state["step"] + 1, square=True,
              next_step=lambda t: t):
    """A reader's Adam whose step is step_of(m, v, t) (the part that varies)."""
    def update(params, grads, state):
        t = t_of(state)
        m = {k: BETA1 * state["m"][k] + (1 - BETA1) * grads["d" + k] for k in params}
        v = {k: BETA2 * state["v"][k] + (1 - BETA2) * (grads["d" + k] ** 2 if square else grads["d" + k])
             for k in params}
        new = {k: params[k] - LR_ADAM * step_of(m[k], v[k], t) for k in params}
        return new, {"step": next_step(t), "m": m, "v": v}
    return adam_of(update)


def corrected(m, v, t):
    return m / (1 - BETA1 ** t), v / (1 - BETA2 ** t)


def library_step(m, v, t):
    m_hat, v_hat = corrected(m, v, t)
    return m_hat / (np.sqrt(v_hat) + EPS)


def paper_step(m, v, t):
    """Kingma and Ba's efficient order with eps_hat = eps sqrt(1 - beta2^t): the same step."""
    rate = np.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
    return rate * m / (np.sqrt(v) + EPS * np.sqrt(1 - BETA2 ** t))


def tensorflow_step(m, v, t):
    return np.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t) * m / (np.sqrt(v) + EPS)


def eps_squared_step(m, v, t):
    m_hat, v_hat = corrected(m, v, t)
    return m_hat / np.sqrt(v_hat + EPS ** 2)


def adam_in_place(params, grads, state):
    """The state's dicts written in place, m and v two separate dicts: accepted."""
    state["step"] += 1
    t, new = state["step"], {}
    for k, p in params.items():
        g = grads["d" + k]
        state["m"][k] = BETA1 * state["m"][k] + (1 - BETA1) * g
        state["v"][k] = BETA2 * state["v"][k] + (1 - BETA2) * g * g
        new[k] = p - LR_ADAM * library_step(state["m"][k], state["v"][k], t)
    return new, state


def shared_zeros_init(params):
    """Two dicts, but holding the same zero arrays."""
    averages = zeros(params)
    return {"step": 0, "m": averages, "v": dict(averages)}


def adam_arrays_in_place(params, grads, state):
    """m and v updated in their arrays (*=, +=): right with arrays of their own."""
    state["step"] += 1
    new = {}
    for k, p in params.items():
        g, m, v = grads["d" + k], state["m"][k], state["v"][k]
        m *= BETA1
        m += (1 - BETA1) * g
        v *= BETA2
        v += (1 - BETA2) * g * g
        new[k] = p - LR_ADAM * library_step(m, v, state["step"])
    return new, state


def pytorch_step(m, v, t):
    """PyTorch's order: sqrt(v) / sqrt(1 - beta2^t) + eps, lr / (1 - beta1^t)."""
    return m / (1 - BETA1 ** t) / (np.sqrt(v) / np.sqrt(1 - BETA2 ** t) + EPS)


def tensorflow_step_reordered(m, v, t):
    return m / (1 - BETA1 ** t) / (np.sqrt(v) + EPS) * np.sqrt(1 - BETA2 ** t)


def adam_powers(params, grads, state):
    """beta^t kept as running products in the state, which also holds t and the rate."""
    b1t, b2t = state["b1t"] * BETA1, state["b2t"] * BETA2
    m = {k: BETA1 * state["m"][k] + (1 - BETA1) * grads["d" + k] for k in params}
    v = {k: BETA2 * state["v"][k] + (1 - BETA2) * np.square(grads["d" + k]) for k in params}
    new = {k: params[k] - state["lr"] * m[k] / (1 - b1t) / (np.sqrt(v[k] / (1 - b2t)) + EPS)
           for k in params}
    return new, {**state, "step": state["step"] + 1, "t": state["t"] + 1, "m": m, "v": v,
                 "b1t": b1t, "b2t": b2t}


def powers_init(params):
    return {"step": 0, "t": 0, "m": zeros(params), "v": zeros(params), "b1t": 1.0, "b2t": 1.0,
            "lr": LR_ADAM}


def adam_t_from_one(params, grads, state):
    """No "step" key: the state counts t itself, from 1."""
    t, new, m, v = state["t"], {}, {}, {}
    for k, p in params.items():
        g = grads["d" + k]
        m[k] = BETA1 * state["m"][k] + (1 - BETA1) * g
        v[k] = BETA2 * state["v"][k] + (1 - BETA2) * g * g
        new[k] = p - LR_ADAM * library_step(m[k], v[k], t)
    return new, {"t": t + 1, "m": m, "v": v}


def adam_pairs(params, grads, state):
    """(m, v) kept as one pair per parameter."""
    t, pairs, new = state["step"] + 1, {}, {}
    for k, p in params.items():
        m, v = state["mv"][k]
        g = grads["d" + k]
        pairs[k] = (BETA1 * m + (1 - BETA1) * g, BETA2 * v + (1 - BETA2) * g ** 2)
        new[k] = p - LR_ADAM * library_step(*pairs[k], t)
    return new, {"step": t, "mv": pairs}


@pytest.mark.parametrize("answer,words", [
    (make_adam(pytorch_step), "matches the library's at every step"),
    (adam_of(adam_arrays_in_place), "matches the library's at every step"),
    (adam_of(adam_in_place, shared_zeros_init), "matches the library's at every step"),
    (make_adam(tensorflow_step_reordered), "TensorFlow's form"),
    (adam_of(adam_powers, powers_init), "matches the library's at every step"),
    (Optimizer("t from 1", lambda params: {"t": 1, "m": zeros(params), "v": zeros(params)},
               adam_t_from_one), "matches the library's at every step"),
    (Optimizer("pairs", lambda params: {"step": 0, "mv": {k: (np.zeros_like(p), np.zeros_like(p))
                                                          for k, p in params.items()}},
               adam_pairs, {"learning_rate": LR_ADAM}), "matches the library's at every step"),
    (make_adam(library_step), "matches the library's at every step"),
    (make_adam(paper_step), "matches the library's at every step"),
    (adam_of(adam_in_place), "matches the library's at every step"),
    (make_adam(tensorflow_step), "TensorFlow's form"),
    (make_adam(eps_squared_step), "sqrt(v_hat + eps^2)"),
    (cu.optimizers.adam(LR_ADAM), "matches the library's at every step"),
])
def test_adam_in_training_accepts_every_correct_form(answer, words):
    feedback = cu.checks.adam_in_training(answer)
    assert feedback.passed, str(feedback)
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- Adam: wrong forms


def one_dict_init(params):
    averages = zeros(params)
    return {"step": 0, "m": averages, "v": averages}


def one_dict_update(params, grads, state):
    t, m, v, new = state["step"] + 1, state["m"], state["v"], {}
    for k, p in params.items():
        g = grads["d" + k]
        m[k] = BETA1 * m[k] + (1 - BETA1) * g
        v[k] = BETA2 * v[k] + (1 - BETA2) * g * g
        new[k] = p - LR_ADAM * library_step(m[k], v[k], t)
    return new, {"step": t, "m": m, "v": v}


def stored_corrected(params, grads, state):
    """m_hat and v_hat written back into the state (exercise 2 warns against it)."""
    t, m, v, new = state["step"] + 1, {}, {}, {}
    for k, p in params.items():
        g = grads["d" + k]
        m[k] = (BETA1 * state["m"][k] + (1 - BETA1) * g) / (1 - BETA1 ** t)
        v[k] = (BETA2 * state["v"][k] + (1 - BETA2) * g * g) / (1 - BETA2 ** t)
        new[k] = p - LR_ADAM * m[k] / (np.sqrt(v[k]) + EPS)
    return new, {"step": t, "m": m, "v": v}


def m_without_averaging(params, grads, state):
    t = state["step"] + 1
    m = {k: BETA1 * state["m"][k] + grads["d" + k] for k in params}
    v = {k: BETA2 * state["v"][k] + (1 - BETA2) * grads["d" + k] ** 2 for k in params}
    return {k: params[k] - LR_ADAM * library_step(m[k], v[k], t) for k in params}, \
        {"step": t, "m": m, "v": v}


ADAM_WRONG = [
    (make_adam(lambda m, v, t: m / (np.sqrt(v) + EPS)), "no bias correction", "exercise 2"),
    (make_adam(library_step, t_of=lambda state: state["step"], next_step=lambda t: t + 1),
     "t starts at 0", "t = state['step'] + 1"),
    (make_adam(library_step, next_step=lambda t: t - 1), "t is not incremented",
     "t = state['step'] + 1"),
    (make_adam(library_step, square=False), "v averages g instead of g ** 2", "(1 - beta2) * g ** 2"),
    (make_adam(lambda m, v, t: m / corrected(m, v, t)[1]), "the step is m / v_hat",
     "np.sqrt(v_hat) + eps"),
    (make_adam(lambda m, v, t: corrected(m, v, t)[0] / np.sqrt(corrected(m, v, t)[1])),
     "eps left out", "np.sqrt(v_hat) + eps"),
    (make_adam(lambda m, v, t: corrected(m, v, t)[0] / np.sqrt(corrected(m, v, t)[1] + EPS)),
     "eps inside the square root", "after the root"),
    (make_adam(lambda m, v, t: corrected(m, v, t)[0] / (np.sqrt(v) + EPS)),
     "only m is bias-corrected", "v_hat = v / (1 - beta2 ** t)"),
    (make_adam(lambda m, v, t: m / (1 - BETA1) ** t / (np.sqrt(v / (1 - BETA2) ** t) + EPS)),
     "(1 - beta) ** t instead of 1 - beta ** t", "the power goes on beta alone"),
    (adam_of(one_dict_update, one_dict_init), "m and v share their arrays", "two dicts of zeros"),
    (adam_of(adam_arrays_in_place, shared_zeros_init),
     "m and v share their arrays", "each with its own np.zeros_like(p)"),
    (adam_of(stored_corrected), "the state keeps the corrected averages",
     "keep m and v uncorrected"),
    (adam_of(lambda params, grads, state: (make_adam(library_step).update(params, grads, state)[0],
                                          state)),
     "m and v are not carried over", "not the one you were given"),
    (adam_of(m_without_averaging), "the (1 - beta1) is missing", "m = beta1 * m + (1 - beta1) * g"),
    (make_adam(lambda m, v, t: 0.1 * library_step(m, v, t)),
     "your first update is 0.1 times the library's", "check the rate (lr = 0.01)"),
    (adam_of(make_adam(library_step).update, lambda params: {"step": 0, "m": zeros(params)}),
     "the state your init returns has no 'v' (it has 'step', 'm')", "{'step': 0, 'm': ..., 'v': ...}"),
]


@pytest.mark.parametrize("answer,words,hint", ADAM_WRONG)
def test_adam_in_training_names_the_mistake(answer, words, hint):
    feedback = cu.checks.adam_in_training(answer)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)
    assert hint in (feedback.hint or ""), str(feedback)


def test_a_diverging_mistake_says_where_it_diverged():
    text = str(cu.checks.adam_in_training(ADAM_WRONG[1][0]))
    assert "diverged: after the update at step 0, W1 holds NaN or inf" in text, text


# ---------------------------------------------------------------- the tolerance, measured


def largest_difference(piece, reference):
    """The largest relative difference of a cost or a parameter over the graded run."""
    mine, theirs = traced(graders.training_run, piece), traced(graders.training_run, reference)
    assert mine.costs.size == theirs.costs.size == graders.RUN_STEPS
    costs = np.max(np.abs(mine.costs - theirs.costs) / theirs.costs)
    params = max(relative_difference(a[k], b[k])
                 for a, b in zip(mine.snapshots, theirs.snapshots) for k in b)
    return max(costs, params)


def test_correct_forms_that_round_differently_stay_far_below_the_tolerance():
    """The run is short enough that rounding does not grow: the heavy ball and Kingma and
    Ba's order stay below 1e-12 of the library's (measured: 5e-15 and 3e-14)."""
    assert largest_difference(momentum_of(heavy_ball), cu.optimizers.momentum(LR, BETA)) < 1e-12
    assert largest_difference(make_adam(paper_step), cu.optimizers.adam(LR_ADAM)) < 1e-12


def test_the_eps_variants_are_visible_at_the_tolerance_and_told_apart_from_eps_inside():
    """Where eps enters changes the run by more than RUN_RTOL (so the accepted forms are
    recognised by name, not by tolerance) and by far less than eps inside the root does."""
    adam = cu.optimizers.adam(LR_ADAM)
    tensorflow = largest_difference(make_adam(tensorflow_step), adam)
    squared = largest_difference(make_adam(eps_squared_step), adam)
    inside = largest_difference(
        make_adam(lambda m, v, t: corrected(m, v, t)[0] / np.sqrt(corrected(m, v, t)[1] + EPS)), adam)
    assert graders.RUN_RTOL < squared < tensorflow < 1e-4 < inside


def test_the_graders_take_well_under_a_second_or_two():
    for grader, answer in ((cu.checks.momentum_in_training, momentum_of(half_the_rate)),
                           (cu.checks.adam_in_training, make_adam(tensorflow_step)),
                           (cu.checks.adam_in_training, ADAM_WRONG[-1][0])):
        start = time.perf_counter()
        grader(answer)
        assert time.perf_counter() - start < 2.0


def test_the_feedback_draws_both_runs_and_the_boundary():
    feedback = cu.checks.adam_in_training(make_adam(library_step))
    assert set(feedback.traces) == {"yours", "library"}
    axes = cu.checks.plot_runs(feedback, boundary=graders.run_boundary())
    assert len(axes) == 2 and len(axes[0].lines) == 2
    plt.close("all")


def test_the_graders_are_exported():
    for name in ("momentum_in_training", "adam_in_training"):
        assert name in graders.__all__ and callable(getattr(cu.checks, name))
