"""Synthetic customer-churn data for the example project, generated from a seed.

Numeric and categorical features, missing values, and a ``shift`` knob: 0 gives the
training-time population; larger values move prices, contracts and support calls the way a
market change would, and strengthen the effect of price on churn (concept drift), so later
monitoring has real drift to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ["tenure_months", "monthly_charges", "total_charges", "contract", "internet_service",
            "payment_method", "support_calls", "age"]
TARGET = "churned"


def make_customers(n_rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """``n_rows`` customers with a ``churned`` label; ``shift`` in [0, 1] moves the population."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], n_rows,
                          p=_normalise([0.5 + 0.3 * shift, 0.3 - 0.15 * shift, 0.2 - 0.15 * shift]))
    internet = rng.choice(["fiber", "dsl", "none"], n_rows, p=[0.45, 0.4, 0.15])
    payment = rng.choice(["card", "bank", "electronic-check", "mail"], n_rows, p=[0.3, 0.25, 0.3, 0.15])
    tenure = rng.gamma(2.0, 14.0 * (1 - 0.4 * shift), n_rows).clip(0, 72).round().astype(int)
    base = np.select([internet == "fiber", internet == "dsl"], [75.0, 55.0], 25.0)
    monthly = (base * (1 + 0.25 * shift) + rng.normal(0, 12, n_rows)).clip(15, 140).round(2)
    total = (monthly * tenure * rng.uniform(0.95, 1.05, n_rows)).round(2)
    calls = rng.poisson(1.2 + 2.0 * shift, n_rows)
    age = rng.normal(45, 14, n_rows).clip(18, 90).round(1)
    frame = pd.DataFrame({
        "tenure_months": tenure, "monthly_charges": monthly, "total_charges": total,
        "contract": contract, "internet_service": internet, "payment_method": payment,
        "support_calls": calls, "age": age,
    })
    frame[TARGET] = _churn(frame, rng, shift)
    return _with_missing(frame, rng)


def _churn(frame: pd.DataFrame, rng: np.random.Generator, shift: float) -> np.ndarray:
    logit = (
        -1.2
        + 1.4 * (frame.contract == "month-to-month")
        - 0.9 * (frame.contract == "two-year")
        - 0.045 * frame.tenure_months
        + (0.018 + 0.012 * shift) * (frame.monthly_charges - 60)
        + 0.35 * frame.support_calls
        + 0.5 * (frame.payment_method == "electronic-check")
        + 0.3 * (frame.internet_service == "fiber")
    )
    return (rng.uniform(size=len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)


def _with_missing(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Blank some values the way real systems lose them: a billing gap and unknown ages."""
    frame.loc[rng.uniform(size=len(frame)) < 0.03, "total_charges"] = np.nan
    frame.loc[rng.uniform(size=len(frame)) < 0.05, "age"] = np.nan
    return frame


def age_band(age: pd.Series) -> pd.Series:
    """Age in bands, the sensitive column performance is compared across (unknown ages: none)."""
    return pd.cut(age, [0, 35, 50, 65, 200], right=False,
                  labels=["18-34", "35-49", "50-64", "65+"]).astype(object)


def _normalise(p: list[float]) -> list[float]:
    total = sum(p)
    return [x / total for x in p]
