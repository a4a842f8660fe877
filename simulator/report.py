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

from glasses.atomic import write_text

if TYPE_CHECKING:
    from simulator.harness import ScenarioResult


def report_dict(
    results: Sequence[ScenarioResult], *, interrupted: bool = False, not_run: Sequence[str] = ()
) -> dict[str, Any]:
    """``interrupted``: Ctrl-C stopped the batch; ``not_run`` lists the files it did not run
    (the report holds the scenarios that finished)."""
    return {
        "passed": not interrupted and all(r.passed for r in results),
        "interrupted": interrupted,
        "not_run": list(not_run),
        "scenarios": [r.to_dict() for r in results],
    }


def write_json(
    results: Sequence[ScenarioResult],
    path: Path,
    *,
    interrupted: bool = False,
    not_run: Sequence[str] = (),
) -> None:
    """Write the JSON report atomically (a full disk leaves the old report, not half of one)."""
    report = report_dict(results, interrupted=interrupted, not_run=not_run)
    text = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False)
    write_text(path, text + "\n")


def write_junit(
    results: Sequence[ScenarioResult],
    path: Path,
    *,
    interrupted: bool = False,
    not_run: Sequence[str] = (),
) -> None:
    """Write the JUnit XML report atomically. A file that is invalid or crashed is an
    ``<error>``; a failed expectation, or a stage that gave up, a ``<failure>``; files that
    Ctrl-C left unrun are ``<skipped>``."""
    suites = ET.Element("testsuites", name="glasses scenarios")
    for r in results:
        broken = r.status != "ran"
        failures = sum(not o.passed for o in r.outcomes) + (1 if r.error and not broken else 0)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=r.name,
            tests=str(max(1, len(r.outcomes))),
            failures=str(failures),
            errors="1" if broken else "0",
            time=f"{r.duration_s:.3f}",
            file=r.file,
        )
        if r.error:
            case = ET.SubElement(suite, "testcase", classname=r.name, name="run")
            kind = "error" if broken else "failure"
            ET.SubElement(case, kind, message=r.error.splitlines()[0], type=r.status).text = r.error
        for o in r.outcomes:
            case = ET.SubElement(suite, "testcase", classname=r.name, name=o.label)
            if not o.passed:
                ET.SubElement(case, "failure", message=o.detail).text = o.detail
    for file in not_run:
        suite = ET.SubElement(
            suites, "testsuite", name=file, tests="1", failures="0", errors="0", skipped="1",
            file=file,
        )  # fmt: skip
        case = ET.SubElement(suite, "testcase", classname=file, name="run")
        ET.SubElement(case, "skipped", message="not run: the batch was interrupted (Ctrl-C)")
    ET.indent(suites)
    write_text(
        path,
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n",
    )
