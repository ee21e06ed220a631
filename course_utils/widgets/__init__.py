"""The course's dashboards, one module per notebook. Each function returns an object with
`.controls` (name -> widget), `.figure`, `.status` and `.set(**values)`, displayed as one box.
This is the only package that imports ipywidgets."""

from ._base import Dashboard, FigureView
from .initialization import InitializationDashboard, initialization_dashboard
from .start_here import LearningRateDemo, learning_rate_demo

__all__ = ["Dashboard", "FigureView", "InitializationDashboard", "initialization_dashboard",
           "LearningRateDemo", "learning_rate_demo"]
