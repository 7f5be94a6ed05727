"""Explanations stored with a model version: computed once when it is registered, read back
by version.

The version's run holds, under ``explain/``:

- ``importance.json``: the explainer used, what it explains, the base value, and per feature
  the mean |SHAP| and mean SHAP over a sample of the training rows (global importance, and
  the reference of explanation drift);
- ``background.parquet``: a sample of the training features, LIME's statistics and the
  permutation explainer's background.

They are downloaded once into ``.mlmom/explain/<model>/<version>/``; the model and its
explainers are kept in memory per version, so explaining one more request costs only SHAP.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from ..errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from ..forked import Pending
    from ..project import Project
    from ..registry.versions import VersionInfo
    from .methods import Explainer, LimeExplainer, ShapExplainer
    from .model import ModelView

IMPORTANCE, BACKGROUND = "importance.json", "background.parquet"
ARTIFACT_PATH = "explain"
BACKGROUND_ROWS = 500
IMPORTANCE_ROWS = {"tree": 300, "linear": 300, "permutation": 10}  # at most; permutation is slow
SETTLED_AFTER = 100  # rows explained before asking whether the ranking is settled, and between
SETTLED_TOP = 3  # the features whose order must be settled (the version's top-feature tag)
KEEP_LOADED = 8  # versions whose model and explainers stay in memory (a lab server lives long)
# (project root, model, version, run id) -> the version's explainers
_loaded: OrderedDict[tuple[str, str, str, str | None], VersionExplainers] = OrderedDict()
_lock = threading.Lock()


@dataclass
class FeatureImportance:
    name: str
    mean_abs: float  # mean |SHAP|: how much the feature moves the output, either way
    mean: float  # mean SHAP: which way it pushes on average


@dataclass
class GlobalImportance:
    """Global importance of one version, from SHAP over a sample of its training rows."""

    kind: str
    output_name: str
    base: float
    rows: int
    seconds: float
    features: list[FeatureImportance] = field(default_factory=list)

    def ranked(self) -> list[FeatureImportance]:
        return sorted(self.features, key=lambda f: -f.mean_abs)

    def mean_abs(self) -> dict[str, float]:
        return {f.name: f.mean_abs for f in self.features}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GlobalImportance:
        features = [FeatureImportance(**f) for f in data.pop("features")]
        return cls(**data, features=features)


def compute(
    model: Any, reference: pd.DataFrame, *, seed: int = 0
) -> tuple[GlobalImportance, pd.DataFrame]:
    """Global importance of ``model`` on ``reference`` (its training features) and the
    background sample to store with it."""
    with start(model, reference, seed=seed) as computing:
        return computing.result()


def start(model: Any, reference: pd.DataFrame, *, seed: int = 0) -> Computing:
    """:func:`compute`, begun: TreeSHAP of a scikit-learn ensemble goes on in a forked child
    (:mod:`mlmom_lab.forked`) while the caller does other work; ask ``result()`` for it."""
    from ..forked import Pending
    from .methods import ShapExplainer
    from .model import view

    began = time.perf_counter()
    background = _sample(reference, BACKGROUND_ROWS, seed)
    model_view = view(model, reference)
    rows = _sample(reference, IMPORTANCE_ROWS[model_view.kind], seed + 1)
    explainer = ShapExplainer(model_view, background)
    if model_view.shap_is_arithmetic:  # the model's own code stays in this process
        matrix, columns = explainer.inputs(rows)

        def settled() -> Timed:
            return _timed(
                values_until,
                lambda part: explainer.exact_values(matrix[part], columns[part]),
                len(rows),
                SETTLED_AFTER,
                _ranking_settled,
            )

        # wanted last (after the model and its twin are logged): it gives way to the caller
        setup_s = time.perf_counter() - began
        return Computing(model_view, background, setup_s, Pending(settled, nice=10))
    values = Pending(lambda: _timed(_settled_values, explainer, rows), fork=False)
    return Computing(model_view, background, time.perf_counter() - began, values)


Timed = tuple[np.ndarray, np.ndarray, float]  # SHAP values, base values, seconds they took


def _timed(compute: Callable[..., tuple[np.ndarray, np.ndarray]], *args: Any) -> Timed:
    """``compute(*args)`` and the seconds it took where it ran (a child, or here later)."""
    began = time.perf_counter()
    values, base = compute(*args)
    return values, base, time.perf_counter() - began


@dataclass
class Computing:
    """Global importance being computed: its SHAP values pending."""

    view: ModelView
    background: pd.DataFrame
    setup_s: float  # the model's view and the rows' inputs, before the SHAP values
    values: Pending[Timed]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the SHAP values' child, if any, when they will not be asked for."""
        self.values.close()

    def result(self) -> tuple[GlobalImportance, pd.DataFrame]:
        values, base, took = self.values.result()
        features = [
            FeatureImportance(name, float(np.abs(values[:, i]).mean()), float(values[:, i].mean()))
            for i, name in enumerate(self.view.features)
        ]
        importance = GlobalImportance(
            self.view.kind,
            self.view.output_name,
            float(base.mean()),
            len(values),
            round(self.setup_s + took, 3),  # the work, not the wait beside the caller's
            features,
        )
        return importance, self.background


def _settled_values(explainer: ShapExplainer, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values of ``rows`` until the order of the top features is settled: exact TreeSHAP
    costs milliseconds a row, and a clear ranking does not need the whole sample (rows are
    a random sample, so any prefix is one)."""
    return values_until(
        lambda part: explainer.values(rows.iloc[part]), len(rows), SETTLED_AFTER, _ranking_settled
    )


def values_until(
    values_of: Callable[[slice], tuple[np.ndarray, np.ndarray]],
    rows: int,
    at_a_time: int,
    settled: Callable[[np.ndarray], bool],
) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values and base values of ``rows`` rows (``values_of`` a slice of them gives
    theirs), ``at_a_time`` rows at a time, until ``settled`` holds for the values so far (or
    the rows run out)."""
    values, bases = [], []
    for begin in range(0, rows, at_a_time):
        chunk, base = values_of(slice(begin, begin + at_a_time))
        values.append(chunk)
        bases.append(base)
        if settled(np.concatenate(values)):
            break
    return np.concatenate(values), np.concatenate(bases)


def _ranking_settled(values: np.ndarray, top: int = SETTLED_TOP) -> bool:
    """Whether each of the ``top`` features by mean |SHAP| leads the next one by more than
    two standard errors of their paired difference over these rows."""
    magnitude = np.abs(values)
    order = np.argsort(-magnitude.mean(axis=0))
    if len(values) < 2:
        return False
    for first, second in pairwise(order[: top + 1]):
        lead = magnitude[:, first] - magnitude[:, second]
        if lead.mean() <= 2 * lead.std(ddof=1) / np.sqrt(len(lead)):
            return False
    return True


def save(importance: GlobalImportance, background: pd.DataFrame, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / IMPORTANCE).write_text(json.dumps(importance.as_dict(), indent=1))
    background.to_parquet(folder / BACKGROUND)


@dataclass
class VersionExplainers:
    """One version's model, stored importance and explainers, loaded once."""

    name: str
    version: str
    importance: GlobalImportance
    view: ModelView
    shap: ShapExplainer
    lime: LimeExplainer

    def explainer(self, method: str) -> Explainer:
        methods: dict[str, Explainer] = {"shap": self.shap, "lime": self.lime}
        return methods[method]


def global_importance(project: Project, version: str | None = None) -> GlobalImportance:
    """The importance stored with ``version`` (default: the champion)."""
    info = _info(project, version)
    return _read_importance(_artifacts(project, info))


def explainers(project: Project, version: str | None = None) -> VersionExplainers:
    """The explainers of ``version`` (default: the champion), from memory after the first."""
    info = _info(project, version)
    key = (str(project.root), info.name, info.version, info.run_id)
    with _lock:
        if key not in _loaded:
            _loaded[key] = _load(project, info)
            while len(_loaded) > KEEP_LOADED:
                _loaded.popitem(last=False)
        _loaded.move_to_end(key)
        return _loaded[key]


def _load(project: Project, info: VersionInfo) -> VersionExplainers:
    import pandas as pd

    from ..registry.kinds import load_version
    from .methods import LimeExplainer, ShapExplainer
    from .model import view

    folder = _artifacts(project, info)
    importance = _read_importance(folder)
    background = pd.read_parquet(folder / BACKGROUND)
    model_view = view(load_version(project, info.name, info.version, info.source), background)
    return VersionExplainers(
        info.name,
        info.version,
        importance,
        model_view,
        ShapExplainer(model_view, background),
        LimeExplainer(model_view, background),
    )


def _info(project: Project, version: str | None) -> VersionInfo:
    from ..registry import get_version, parse_ref

    name, number = parse_ref(version or "champion", project.spec.model)
    return get_version(name, number, project)


def _artifacts(project: Project, info: VersionInfo) -> Path:
    """The version's ``explain/`` artifacts, read once into ``.mlmom/explain`` (straight from
    a local store, else through MLflow: :mod:`mlmom_lab.registry.reading`)."""
    from ..files import write_bytes
    from ..registry.reading import reader_for

    missing = NotFound(
        f"version {info.version} of {info.name} has no stored explanations: "
        "register it with reference=<training features>"
    )
    if info.run_id is None:  # registered without a run: nothing was stored with it
        raise missing
    folder = project.state_dir / "explain" / info.name / info.version / info.run_id / ARTIFACT_PATH
    if not (folder / IMPORTANCE).is_file():
        reader = reader_for(project)
        for name in (BACKGROUND, IMPORTANCE):  # importance last: it says the folder is whole
            try:
                data = reader.run_file(info.run_id, f"{ARTIFACT_PATH}/{name}")
            except NotFound:
                raise missing from None
            write_bytes(folder / name, data)
    return folder


def _read_importance(folder: Path) -> GlobalImportance:
    return GlobalImportance.from_dict(json.loads((folder / IMPORTANCE).read_text()))


def _sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return frame.sample(n, random_state=seed) if len(frame) > n else frame
