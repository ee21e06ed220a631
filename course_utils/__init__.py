"""course_utils: the library behind the course "why deep networks train or fail to train".

    import course_utils as cu
    X, Y, X_test, Y_test = cu.datasets.load_circles()
    spec = cu.Spec((2, 10, 5, 1), activation="relu")
    params = cu.init_params(spec, "he_normal", rng=3)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.01), steps=15_000)

One concept per module: datasets, activations, initializers, layers, network, losses,
optimizers, training, gradcheck, theory (what the variance formulas predict), plotting,
checks (exercise graders), widgets (dashboards,
imported on first use) and init_utils (the seed's own module, mirrored).
"""

from importlib import import_module

from . import (activations, checks, datasets, gradcheck, init_utils, initializers, layers,
               losses, network, optimizers, plotting, theory, training)
from .network import (Spec, accuracy, forward, init_params, init_state, loss_and_grads, predict,
                      predict_proba)
from .training import History, train

__version__ = "0.1.0"


def __getattr__(name):
    # The dashboards import ipywidgets; load them only when a notebook asks for cu.widgets.
    if name == "widgets":
        return import_module(".widgets", __name__)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
