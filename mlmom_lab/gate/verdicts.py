"""What the gate decided: one verdict per rule, and the outcome a pipeline trusts.

Exit codes (documented in the README): 0 when every rule was judged and passed, 1 when a
rule failed, 2 when the gate could not judge (a missing metric, an unknown version, rows it
cannot read); a rule that could not be judged outranks a failed one, because a gate that did
not look at everything must not pass nor pretend to a clean "no".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["pass", "fail", "skip", "error"]
EXIT_CODES = {"passed": 0, "failed": 1, "error": 2}


@dataclass(frozen=True)
class Verdict:
    """One rule: what was measured, what it had to be, and the outcome."""

    rule: str  # e.g. "metric roc_auc", "champion roc_auc", "onnx parity", "fairness age_band"
    outcome: Outcome
    value: float | str | None = None
    expected: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GateResult:
    """Every verdict on one version, against the version it was compared with."""

    name: str
    version: str
    against: str | None  # the version compared with (None: none to compare with)
    verdicts: list[Verdict] = field(default_factory=list)
    when: float = 0.0
    who: str = ""
    evaluation: dict[str, Any] = field(default_factory=dict)  # path, rows, sha256, metrics, groups
    error: str = ""  # why the gate could not judge at all (no verdicts then)

    @property
    def status(self) -> str:
        outcomes = {v.outcome for v in self.verdicts}
        if self.error or "error" in outcomes:
            return "error"
        return "failed" if "fail" in outcomes else "passed"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "against": self.against,
            "status": self.status,
            "when": self.when,
            "who": self.who,
            "evaluation": self.evaluation,
            "error": self.error,
            "verdicts": [v.as_dict() for v in self.verdicts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        verdicts = [Verdict(**v) for v in data.get("verdicts", [])]
        fields_ = {k: data[k] for k in ("when", "who", "evaluation", "error") if k in data}
        return cls(data["name"], data["version"], data.get("against"), verdicts, **fields_)
