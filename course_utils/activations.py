"""Activation functions: one registry, so a function and its derivative cannot drift apart.

    act = get("relu")
    A = act.forward(Z)            # any shape
    dZ = act.backward(dA, Z)      # dA * f'(Z), same shape

Derivatives at a kink follow the seed: ReLU'(0) = 0, leaky ReLU'(0) = slope.
PReLU (learned slope) and RReLU (random slope) are layers, in `course_utils.layers`.
GELU and SiLU (Swish), the smooth ReLUs of today's transformers, are in the registry.

Your own activation joins the registry by name, and a Spec can then use it:

    mine = Activation("my_selu", f=my_selu, df=my_selu_derivative, formula="...")
    register(mine)                # checked: f and df work elementwise
    spec = cu.Spec((2, 16, 16, 1), activation="my_selu")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import expit  # the sigmoid, computed without overflow for any z
from scipy.special import ndtr  # the standard normal CDF Phi(z) = (1 + erf(z / sqrt 2)) / 2

from ._validate import from_registry, positive_number

# SELU's constants (Klambauer et al., 2017): with LeCun-normal weights they keep
# activations near mean 0 and variance 1 from layer to layer.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


@dataclass(frozen=True)
class Activation:
    """A named activation f with its derivative f'. `hyper` holds e.g. the leaky slope."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    formula: str
    hyper: dict = field(default_factory=dict)
    # f' written with the output A = f(Z), where that is cheaper than from Z: tanh' = 1 - A^2,
    # sigmoid' = A (1 - A). Saves computing tanh/exp a second time in the backward pass.
    df_from_output: Callable[[np.ndarray], np.ndarray] | None = None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = f(Z), elementwise."""
        return self.f(Z)

    def derivative(self, Z: np.ndarray) -> np.ndarray:
        """f'(Z), elementwise."""
        return self.df(Z)

    def backward(self, dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """Chain rule through the activation: dZ = dA * f'(Z)."""
        return dA * self.df(Z)


def _sigmoid():
    def df(Z):
        s = expit(Z)
        return s * (1 - s)
    return Activation("sigmoid", expit, df, "1 / (1 + exp(-z))",
                      df_from_output=lambda A: A * (1 - A))


def _sigmoid_centered():
    """sigma(z) - 1/2 = tanh(z/2) / 2: the sigmoid's shape and slope (at most 1/4), mean 0.

    Notebook 02 uses it to separate the sigmoid's two handicaps: its small slope (which
    larger weights can pay for) and its mean of 1/2 (which they cannot)."""
    def f(Z):
        return expit(Z) - 0.5

    def df(Z):
        s = expit(Z)
        return s * (1 - s)
    return Activation("sigmoid_centered", f, df, "1 / (1 + exp(-z)) - 1/2",
                      df_from_output=lambda A: 0.25 - A * A)


def _tanh():
    def df(Z):
        return 1 - np.tanh(Z) ** 2
    return Activation("tanh", np.tanh, df, "tanh(z)", df_from_output=lambda A: 1 - A * A)


def _relu():
    def f(Z):
        return np.maximum(Z, 0)

    def df(Z):
        return Z > 0  # a bool array: multiplying by it is the cheapest mask
    return Activation("relu", f, df, "max(0, z)")


def _leaky_relu(slope: float = 0.01):
    positive_number(slope, "slope")

    def f(Z):
        return np.where(Z > 0, Z, slope * Z)

    def df(Z):
        return np.where(Z > 0, 1.0, slope)
    return Activation("leaky_relu", f, df, f"max({slope:g} z, z)", {"slope": slope})


def _elu(alpha: float = 1.0):
    positive_number(alpha, "alpha")

    def f(Z):
        # expm1 of min(Z, 0): no overflow for large positive z, exact near 0.
        return np.where(Z > 0, Z, alpha * np.expm1(np.minimum(Z, 0)))

    def df(Z):
        return np.where(Z > 0, 1.0, alpha * np.exp(np.minimum(Z, 0)))
    return Activation("elu", f, df, f"z if z > 0 else {alpha:g} (exp(z) - 1)", {"alpha": alpha})


def _selu():
    def f(Z):
        return SELU_SCALE * np.where(Z > 0, Z, SELU_ALPHA * np.expm1(np.minimum(Z, 0)))

    def df(Z):
        return SELU_SCALE * np.where(Z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(Z, 0)))
    return Activation("selu", f, df, "1.0507 (z if z > 0 else 1.6733 (exp(z) - 1))")


def _softplus():
    def f(Z):
        return np.logaddexp(0, Z)  # log(1 + exp(z)) without overflow
    return Activation("softplus", f, expit, "log(1 + exp(z))")


def _gelu():
    """GELU, exact form (Hendrycks and Gimpel, 2016): z Phi(z), Phi the standard normal CDF.
    The activation of BERT and GPT; PyTorch's F.gelu (approximate="none")."""
    def f(Z):
        return Z * ndtr(Z)

    def df(Z):
        # Phi(z) + z phi(z), with phi the standard normal density
        return ndtr(Z) + Z * np.exp(-0.5 * np.square(Z)) / np.sqrt(2 * np.pi)
    return Activation("gelu", f, df, "z Phi(z) = z (1 + erf(z / sqrt(2))) / 2")


def _silu():
    """SiLU, also called Swish (Elfwing et al., 2017; Ramachandran et al., 2017):
    z sigmoid(z). PyTorch's F.silu."""
    def f(Z):
        return Z * expit(Z)

    def df(Z):
        s = expit(Z)
        return s * (1 + Z * (1 - s))  # s + z s (1 - s)
    return Activation("silu", f, df, "z / (1 + exp(-z))")


def _linear():
    def f(Z):
        return Z

    def df(Z):
        return np.ones_like(Z)
    return Activation("linear", f, df, "z")


_REGISTRY = {
    "sigmoid": _sigmoid,
    "sigmoid_centered": _sigmoid_centered,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "softplus": _softplus,
    "gelu": _gelu,
    "silu": _silu,
    "linear": _linear,
}

NAMES = tuple(_REGISTRY)
BUILT_IN = frozenset(_REGISTRY)  # names that `register` may not replace


def _probe(fn, what: str, name: str) -> None:
    """Run f or df on a small array and check it works elementwise: same shape, finite."""
    Z = np.linspace(-3.0, 3.0, 12).reshape(3, 4)
    try:
        out = fn(Z.copy())
    except Exception as error:
        raise ValueError(f"activation {name!r}: {what}(Z) raised {type(error).__name__} on a "
                         f"(3, 4) test array: {error}") from error
    if np.shape(out) != Z.shape:
        raise ValueError(f"activation {name!r}: {what}(Z) must return an array of Z's shape "
                         f"(3, 4), got {type(out).__name__} of shape {np.shape(out)}")
    if not np.all(np.isfinite(np.asarray(out, dtype=float))):
        raise ValueError(f"activation {name!r}: {what}(Z) returned NaN or inf for Z in [-3, 3]")


def register(activation: Activation) -> str:
    """Add `activation` to the registry under activation.name, so that Spec(...,
    activation=name) and get(name) find it; returns the name.

    Its f and df are run on a small test array first (they must work elementwise: same
    shape, finite values). A built-in name (BUILT_IN, or "prelu", "rrelu") cannot be taken;
    registering a name of your own again replaces it (as when a notebook cell runs twice).
    A Spec made before that keeps the activation it was made with.
    """
    global NAMES
    from .layers import ACTIVATION_LAYERS  # layers imports this module: import when needed

    if not isinstance(activation, Activation):
        raise TypeError(f"activation must be an Activation(name, f, df, formula), got "
                        f"{type(activation).__name__}")
    name = activation.name
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"activation.name must be a name such as 'my_selu' (letters, digits, "
                         f"underscores), got {name!r}")
    if name in BUILT_IN or name in ACTIVATION_LAYERS:
        raise ValueError(f"activation.name {name!r} is a built-in activation; choose another "
                         f"name, e.g. 'my_{name}'")
    for what in ("f", "df"):
        if not callable(getattr(activation, what)):
            raise TypeError(f"activation.{what} must be a function of Z, got "
                            f"{type(getattr(activation, what)).__name__}")
        _probe(getattr(activation, what), what, name)
    _REGISTRY[name] = lambda: activation
    NAMES = tuple(_REGISTRY)
    return name


def unregister(name: str) -> None:
    """Remove an activation added with `register` (a built-in one cannot be removed)."""
    global NAMES
    if name in BUILT_IN:
        raise ValueError(f"{name!r} is a built-in activation and cannot be unregistered")
    if name not in _REGISTRY:
        raise ValueError(f"no registered activation {name!r}; registered: "
                         f"{', '.join(sorted(set(_REGISTRY) - BUILT_IN)) or 'none'}")
    del _REGISTRY[name]
    NAMES = tuple(_REGISTRY)


def get(name, **hyper) -> Activation:
    """The activation called `name` (one of NAMES), with hyperparameters such as slope=0.01
    for leaky_relu or alpha=1.0 for elu. An Activation passes through unchanged."""
    return from_registry(_REGISTRY, "activation", name, hyper, Activation)
