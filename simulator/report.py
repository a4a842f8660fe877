"""Reports of scenario runs: a JSON document and a JUnit XML file for CI.

Everything in the JSON comes from the virtual clock, so the same scenario run twice gives
byte-identical reports (keys sorted, no wall-clock time, no absolute paths).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.harness import ScenarioResult


def report_dict(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    return {
        "passed": all(r.passed for r in results),
        "scenarios": [r.to_dict() for r in results],
    }


def write_json(results: Sequence[ScenarioResult], path: Path) -> None:
    text = json.dumps(report_dict(results), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_junit(results: Sequence[ScenarioResult], path: Path) -> None:
    suites = ET.Element("testsuites", name="glasses scenarios")
    for r in results:
        failures = sum(not o.passed for o in r.outcomes) + (1 if r.error else 0)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=r.name,
            tests=str(max(1, len(r.outcomes))),
            failures=str(failures),
            errors="0",
            time=f"{r.duration_s:.3f}",
            file=r.file,
        )
        if r.error:
            case = ET.SubElement(suite, "testcase", classname=r.name, name="run")
            ET.SubElement(case, "failure", message=r.error.splitlines()[0]).text = r.error
        for o in r.outcomes:
            case = ET.SubElement(suite, "testcase", classname=r.name, name=o.label)
            if not o.passed:
                ET.SubElement(case, "failure", message=o.detail).text = o.detail
    ET.indent(suites)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n",
        encoding="utf-8",
    )
