"""The gate's result as JUnit XML: GitLab, Jenkins and GitHub's test reporters show each rule
as a test case (a failed rule as a failure, a rule it could not judge as an error)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from .verdicts import GateResult, Verdict

SUITE = "mlmom gate"


def to_xml(result: GateResult) -> str:
    verdicts = result.verdicts or [Verdict("gate", "error", None, "", result.error)]
    counts = {
        "tests": len(verdicts),
        "failures": sum(v.outcome == "fail" for v in verdicts),
        "errors": sum(v.outcome == "error" for v in verdicts),
        "skipped": sum(v.outcome == "skip" for v in verdicts),
    }
    root = ET.Element("testsuites", {"name": SUITE, **_strings(counts)})
    against = f" against v{result.against}" if result.against else ""
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": f"{SUITE}: {result.name} v{result.version}{against}",
            "timestamp": dt.datetime.fromtimestamp(result.when or 0, dt.UTC).isoformat(),
            **_strings(counts),
        },
    )
    for verdict in verdicts:
        _case(suite, result, verdict)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write(result: GateResult, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(to_xml(result), encoding="utf-8")
    return target


def _case(suite: ET.Element, result: GateResult, verdict: Verdict) -> None:
    case = ET.SubElement(
        suite, "testcase", classname=f"mlmom.gate.{result.name}", name=_title(verdict), time="0"
    )
    message = _message(verdict)
    if verdict.outcome == "fail":
        ET.SubElement(case, "failure", message=message, type="rule failed").text = verdict.detail
    elif verdict.outcome == "error":
        ET.SubElement(case, "error", message=message, type="not judged").text = verdict.detail
    elif verdict.outcome == "skip":
        ET.SubElement(case, "skipped", message=verdict.detail)
    else:
        ET.SubElement(case, "system-out").text = message


def _title(verdict: Verdict) -> str:
    return f"{verdict.rule} {verdict.expected}".strip()


def _message(verdict: Verdict) -> str:
    value = f"{verdict.value:.6g}" if isinstance(verdict.value, float) else verdict.value
    shown = f"{value} (must be {verdict.expected})" if verdict.expected else f"{value}"
    return shown if verdict.value is not None else verdict.detail or verdict.outcome


def _strings(counts: dict[str, int]) -> dict[str, str]:
    return {k: str(v) for k, v in counts.items()}
