"""course_utils: the library behind the course "why deep networks train or fail to train".

    import course_utils as cu
    X, Y, X_test, Y_test = cu.datasets.load_circles()
    spec = cu.Spec((2, 10, 5, 1), activation="relu")
    params = cu.init_params(spec, "he_normal", rng=3)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.01), steps=15_000)

One concept per module: datasets, activations, initializers, layers, network, losses,
optimizers, training, gradcheck, theory (what the variance formulas predict), plotting,
checks (exercise graders), widgets (dashboards, imported on first use) and init_utils
(the seed's own module, mirrored). Modules that serve one notebook: scaling (01),
gradient_flow (02), diagnostics (04), landscapes (05), bugs (08).
"""

from importlib import import_module

from threadpoolctl import threadpool_limits

# One BLAS thread. The course's matrices are small (tens to a few hundred units), and
# several OpenBLAS threads mostly wait for each other: measured on a 2-core machine,
# matrix products and whole notebooks ran 2 to 25 times slower with the default threads.
# This is the one setting course_utils changes in the process that imports it.
threadpool_limits(1, user_api="blas")

from . import (activations, checks, datasets, gradcheck, init_utils, initializers, layers,
               losses, network, optimizers, plotting, theory, training)
from . import bugs  # 08_gradient_checking: a hand-written backward pass with planted bugs
from . import diagnostics  # 04_activation_functions: dead units, layer moments, activation cost
from . import gradient_flow  # 02_vanishing_exploding_gradients: per-layer signal and gradient sizes
from . import landscapes  # 05_optimizers: 2-D test functions and optimizer paths on them
from . import scaling  # 01_input_normalization: standardization, the two-feature cost
from .network import (Spec, accuracy, forward, init_params, init_state, loss_and_grads, predict,
                      predict_proba)
from .training import History, train

__version__ = "0.2.0"


def __getattr__(name):
    # The dashboards import ipywidgets; load them only when a notebook asks for cu.widgets.
    if name == "widgets":
        return import_module(".widgets", __name__)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
