"""The course's dashboards, one module per notebook. Each function returns an object with
`.controls` (name -> widget), `.figure`, `.status`, `.set(**values)` and `.timings`,
displayed as one box. This is the only package that imports ipywidgets."""

from ._base import Dashboard
from .figure import FigureView
from .activations import *  # noqa: F401,F403  (each module lists its dashboards in __all__)
from .batchnorm import *  # noqa: F401,F403
from .deeper import *  # noqa: F401,F403
from .gradcheck import *  # noqa: F401,F403
from .gradients import *  # noqa: F401,F403
from .initialization import InitializationDashboard, initialization_dashboard
from .normalization import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .shattered import *  # noqa: F401,F403
from .start_here import LearningRateDemo, learning_rate_demo
from .capstone import *  # noqa: F401,F403
