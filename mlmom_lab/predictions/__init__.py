"""The prediction log: every served request (inputs, outputs, latency) and the labels that
arrive later. Serving writes it; monitoring, explanations and the lab read it."""

from .feedback import add_feedback
from .log import PredictionLog, salt_for, sqlite_path

__all__ = ["PredictionLog", "add_feedback", "salt_for", "sqlite_path"]
