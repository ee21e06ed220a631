"""course_utils: the library behind the course "why deep networks train or fail to train".

    import course_utils as cu
    X, Y, X_test, Y_test = cu.datasets.load_circles()
    spec = cu.Spec((2, 10, 5, 1), activation="relu")
    params = cu.init_params(spec, "he_normal", rng=3)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.01), steps=15_000)

The core library, one concept per module: datasets, activations, initializers, layers,
network, losses, optimizers, training, gradcheck and plotting; init_utils mirrors the
seed's own module. Beside it: lessons (what one notebook teaches beyond the core, one
module per notebook topic), checks (exercise graders) and widgets (dashboards, imported on
first use). course_utils/README.md maps the package.
"""

from importlib import import_module

from threadpoolctl import threadpool_limits

# One BLAS thread. The course's matrices are small (tens to a few hundred units), and
# several OpenBLAS threads mostly wait for each other: measured on a 2-core machine,
# matrix products and whole notebooks ran 2 to 25 times slower with the default threads.
threadpool_limits(1, user_api="blas")

from . import (activations, checks, datasets, gradcheck, init_utils, initializers, layers,
               lessons, losses, network, optimizers, plotting, training)
from .network import (Functions, Spec, accuracy, forward, init_params, init_state, loss_and_grads, predict,
                      predict_proba)
from .training import L1, L2, ClipNorm, ClipValue, History, Validation, train
from .doctor import diagnose

# The course's colour-blind-safe palette and readable text sizes for every figure
# (plotting.use_course_style). With the BLAS threads above, the two settings course_utils
# changes in the process that imports it.
plotting.use_course_style()

__version__ = "0.3.0"


def __getattr__(name):
    # The dashboards import ipywidgets; load them only when a notebook asks for cu.widgets.
    if name == "widgets":
        return import_module(".widgets", __name__)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
