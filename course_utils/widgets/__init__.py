"""The course's dashboards, one module per notebook. Each function returns an object with
`.controls` (name -> widget), `.figure`, `.status` and `.set(**values)`, displayed as one box.
This is the only package that imports ipywidgets."""

from ._base import Dashboard, FigureView
from .initialization import InitializationDashboard, initialization_dashboard

__all__ = ["Dashboard", "FigureView", "InitializationDashboard", "initialization_dashboard"]
