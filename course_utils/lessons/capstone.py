"""11_capstone: a digits network that fails in several ways at once, fixed one finding of
the training doctor (course_utils.doctor) at a time.

    data = load_data()                       # raw pixels 0-16; train / validation / test
    broken = run(setup(()), data)            # the setting that fails
    fixed = run(setup(("standardize", "init")), data)
    fixed.report                             # the doctor's findings on that run

The broken setting: raw pixel values (0 to 16), 20 hidden sigmoid layers of 32 units,
every weight drawn from U(-1, 1), minibatch gradient descent at learning rate 1, no
regularization. Each fix in FIXES changes one of these and names the notebook that teaches
it; `setup(fixes)` builds the setting with any subset switched on, so the notebook walks
one path and the dashboard (widgets.capstone) shows every subset.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import datasets, initializers, network, optimizers, training
from ..doctor import Report, diagnose

VALIDATION_SIZE = 300  # held out from the training split; the test split is never looked at
STEPS = 400            # every setting of the fixing path trains this long (batches of 64)
BATCH_SIZE = 64
RECORD_EVERY = 10      # the doctor's per-layer statistics
EVAL_EVERY = 50        # validation cost and accuracy (on 1,047 + 300 images: the costliest part)

# Every weight from U(-1, 1), whatever the layer's fan-in: the "large uniform" start.
UNIFORM_1 = initializers.Initializer("uniform(-1, 1)", lambda fan_in, fan_out: np.sqrt(1 / 3),
                                     "uniform", "U(-1, 1), Var = 1/3 whatever the fan-in")


@dataclass(frozen=True)
class Fix:
    """One change to the broken setting: its name, what it changes (broken -> fixed), and
    the notebook that teaches why."""

    name: str
    label: str
    change: str
    notebook: str


FIXES = (
    Fix("standardize", "standardize the inputs", "pixels 0-16 -> each pixel mean 0, std 1",
        "01_input_normalization"),
    Fix("init", "initialize to the fan-in", "U(-1, 1) -> Xavier (sigmoid) or He (ReLU)",
        "03_initialization"),
    Fix("relu", "ReLU instead of sigmoid", "sigmoid -> ReLU in the hidden layers",
        "04_activation_functions"),
    Fix("lower_lr", "a smaller learning rate", "learning rate 1 -> 0.1", "05_optimizers"),
    Fix("shallow", "2 hidden layers instead of 20", "20 hidden layers -> 2",
        "02_vanishing_exploding_gradients"),
)
FIX_NAMES = tuple(f.name for f in FIXES)


@dataclass(frozen=True)
class Setup:
    """Everything that defines a run (besides the seed): the data's scaling, the network,
    its start and its optimizer."""

    standardize: bool = False
    init: str = "uniform"        # "uniform" (U(-1, 1)) or "fan_in" (Xavier / He)
    activation: str = "sigmoid"
    depth: int = 20              # hidden layers
    width: int = 32
    optimizer: str = "sgd"       # "sgd" or "adam"
    lr: float = 1.0
    steps: int = STEPS
    patience: int | None = None  # early stopping on the validation cost (None: off)
    gain: float = 1.0            # multiplies the initializer's standard deviation

    def spec(self) -> network.Spec:
        return network.Spec((64,) + (self.width,) * self.depth + (10,),
                            activation=self.activation, output="softmax")

    def initializer(self):
        if self.init == "uniform":
            return UNIFORM_1
        return "he_normal" if self.activation in ("relu", "leaky_relu") else "xavier_normal"

    def make_optimizer(self):
        return {"sgd": optimizers.sgd, "adam": optimizers.adam}[self.optimizer](self.lr)

    def describe(self) -> str:
        """The setting in words, e.g. "raw pixels, 20 sigmoid layers of 32, U(-1, 1), SGD lr 1"."""
        start = "U(-1, 1)" if self.init == "uniform" else (
            "He" if self.initializer() == "he_normal" else "Xavier")
        return (f"{'standardized' if self.standardize else 'raw'} pixels, {self.depth} "
                f"{self.activation} layers of {self.width}, {start}, "
                f"{'SGD' if self.optimizer == 'sgd' else 'Adam'} lr {self.lr:g}")


BROKEN = Setup()


def setup(fixes=(), base: Setup = BROKEN) -> Setup:
    """The broken setting with the named fixes (a subset of FIX_NAMES) switched on."""
    fixes = tuple(fixes)
    unknown = [f for f in fixes if f not in FIX_NAMES]
    if unknown:
        raise ValueError(f"fixes must be names from {FIX_NAMES}, got {unknown}")
    changes = {"standardize": {"standardize": True}, "init": {"init": "fan_in"},
               "relu": {"activation": "relu"}, "lower_lr": {"lr": 0.1},
               "shallow": {"depth": 2}}
    out = base
    for name in fixes:
        out = replace(out, **changes[name])
    return out


def load_data(rng=0) -> dict:
    """scikit-learn's 8x8 digits with their raw pixel values (0 to 16): the course's split
    (cu.datasets.load_digits: 1,347 training and 450 test images, stratified), with
    VALIDATION_SIZE training images held out as a validation set (drawn with `rng`).
    Returns {"X", "Y", "X_val", "Y_val", "X_test", "Y_test"}: X (64, m), Y one-hot (10, m)."""
    X, Y, X_test, Y_test = datasets.load_digits()
    order = np.random.default_rng(rng).permutation(X.shape[1])
    val, train = order[:VALIDATION_SIZE], order[VALIDATION_SIZE:]
    raw = 16.0  # load_digits scales the pixels to [0, 1]; the raw images count 0 to 16
    return {"X": X[:, train] * raw, "Y": Y[:, train], "X_val": X[:, val] * raw,
            "Y_val": Y[:, val], "X_test": X_test * raw, "Y_test": Y_test}


def standardized(data: dict) -> dict:
    """Every split scaled with the training split's per-pixel mean and standard deviation
    (pixels that never vary, such as some corners, are only centred)."""
    mean = data["X"].mean(axis=1, keepdims=True)
    std = data["X"].std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    return {k: ((v - mean) / std if k.startswith("X") else v) for k, v in data.items()}


@dataclass
class Run:
    """One trained setting: the history, the doctor's report and the held-out accuracy."""

    setup: Setup
    seed: int
    history: training.History
    report: Report
    test_acc: float      # NaN when the run diverged
    val_acc: float
    train_acc: float

    @property
    def verdict(self) -> str:
        return self.history.verdict


def run(config: Setup, data: dict, seed: int = 0) -> Run:
    """Train `config` on `data` (as load_data returns it; standardized here when the
    setting says so) with the doctor's statistics recorded, and diagnose it."""
    if config.standardize:
        data = standardized(data)
    spec = config.spec()
    params = network.init_params(spec, config.initializer(), rng=seed, gain=config.gain)
    hist = training.train(spec, params, data["X"], data["Y"], config.make_optimizer(),
                          steps=config.steps, batch_size=BATCH_SIZE, rng=seed,
                          record_every=RECORD_EVERY, progress=False,
                          validation=training.Validation(data["X_val"], data["Y_val"],
                                                         every=EVAL_EVERY,
                                                         patience=config.patience))
    report = diagnose(hist, spec, data["X"], data["Y"])
    accuracy = {}
    for split in ("", "_val", "_test"):
        with np.errstate(over="ignore", invalid="ignore"):
            accuracy[split] = (float("nan") if hist.diverged else
                               network.accuracy(spec, hist.params, data["X" + split],
                                                data["Y" + split], hist.state))
    return Run(config, seed, hist, report, accuracy["_test"], accuracy["_val"], accuracy[""])


# Section 6's question, "was removing depth fair?": 20 hidden layers of 32 with every other
# fix on, at the strongest settings we tried for that depth: a learning-rate grid for
# gradient descent (the "divide by 10" rate 0.1 is in it) and for Adam, and tanh with
# Xavier's start (notebook 02: tanh trains deeper than ReLU on the digits).
_DEEP = setup(("standardize", "init", "relu", "lower_lr"))
DEEP_FAIR = {
    **{f"ReLU, He, SGD lr {lr:g}": replace(_DEEP, lr=lr) for lr in (0.01, 0.03, 0.1, 0.3)},
    **{f"ReLU, He, Adam lr {lr:g}": replace(_DEEP, optimizer="adam", lr=lr)
       for lr in (0.001, 0.003, 0.01)},
    **{f"tanh, Xavier, SGD lr {lr:g}": replace(_DEEP, activation="tanh", lr=lr)
       for lr in (0.03, 0.1, 0.3)},
}
DEEP_SEEDS = (0, 1, 2)


# The exercises' three recorded runs: standardized digits, 2 hidden layers of 32, one fault
# each (scripts/sweep_capstone.py stores them small in data/capstone_runs.json).
MYSTERY = {
    "A": Setup(standardize=True, init="fan_in", activation="relu", depth=2, lr=3.0),
    "B": Setup(standardize=True, init="fan_in", activation="relu", depth=2, lr=1e-5),
    "C": Setup(standardize=True, init="fan_in", activation="tanh", depth=2, lr=0.1, gain=6.0),
}
MYSTERY_SEED = 4


def layer_summary(hist: training.History) -> dict:
    """Per layer, what the doctor reads, as one number each: the median over the records
    of the gradient norm, the saturated fraction (sigmoid/tanh) and the update / weight
    ratio, and the never-active fraction (ReLU) at the last record. NaN where a layer has
    no such number (a ReLU layer does not saturate; the output layer has no activation)."""
    stats = hist.layer_stats
    with np.errstate(all="ignore"):
        return {"grad_norm": np.nanmedian(stats["grad_norm"], axis=0),
                "saturated": np.nanmedian(stats["saturated"], axis=0)
                if not np.all(np.isnan(stats["saturated"])) else stats["saturated"][-1],
                "never_active": stats["never_active"][-1],
                "update_ratio": np.nanmedian(stats["update_ratio"], axis=0)}


def smoothed_costs(hist: training.History, window: int = 10) -> tuple:
    """The minibatch cost averaged over `window` steps, for a readable curve.

    Returns (steps, costs): the cost at step 0, then the mean of each window, placed at the
    window's last step. A run that diverged ends with the mean of the finite costs of the
    window where it diverged (placed at the last finite step): the curve stops where the
    run did, and its end says so (History.diverged_at)."""
    costs = np.asarray(hist.costs, dtype=float)
    finite = np.isfinite(costs)
    end = costs.size if finite.all() else int(np.argmin(finite))  # first non-finite step
    steps, means = [0], [costs[0] if end > 0 else np.nan]
    for start in range(0, end, window):
        stop = min(start + window, end)
        steps.append(stop - 1)
        means.append(costs[start:stop].mean())
    return np.asarray(steps), np.asarray(means, dtype=float)


def spread(accuracies) -> str:
    """Test accuracies over seeds as a short text: "0.95" when they agree to 2 decimals,
    "0.92-0.95" (lowest-highest) otherwise; a diverged run (None or NaN) counts as "NaN"."""
    values = [float("nan") if a is None else float(a) for a in accuracies]
    finite = sorted(round(a, 2) for a in values if np.isfinite(a))
    if not finite:
        return "NaN"
    low = "NaN" if len(finite) < len(values) else f"{finite[0]:.2f}"
    return f"{finite[0]:.2f}" if low == f"{finite[-1]:.2f}" else f"{low}-{finite[-1]:.2f}"


def report_table(report: Report):
    """The doctor's report as an HTML table for a notebook (its text/plain is one short
    line, so a stored notebook holds no long repr)."""
    from IPython.display import HTML
    return HTML(report._repr_html_())
