"""The Voilà dashboards' widgets (``notebooks/dashboards/*.ipynb`` only build and show them).

Each dashboard is a class holding its ipywidgets; changing a picker redraws what follows
from it. Charts are PNG images drawn with matplotlib, so they need no CDN.
"""

from .drift import DriftDashboard
from .explain import ExplainDashboard

__all__ = ["DriftDashboard", "ExplainDashboard"]
