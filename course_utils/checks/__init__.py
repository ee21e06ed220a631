"""Exercise graders: `cu.checks.<exercise>(your_function)` says what is right and, if
something is wrong, what differs and a hint. One module per notebook; every grader is
available directly as cu.checks.<name>."""

from . import (activations, batchnorm, capstone, deeper, gradcheck, gradients, initialization, normalization,
               optimizers, regularization, shattered, start_here)
from ._core import Feedback, describe_difference, grade, progress
from ._runs import RunMistake, plot_runs
from .activations import *  # noqa: F401,F403  (each module lists its graders in __all__)
from .batchnorm import *  # noqa: F401,F403
from .deeper import *  # noqa: F401,F403
from .capstone import *  # noqa: F401,F403
from .gradcheck import *  # noqa: F401,F403
from .gradients import *  # noqa: F401,F403
from .initialization import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .shattered import *  # noqa: F401,F403
from .start_here import sigmoid
