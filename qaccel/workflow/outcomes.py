"""The outcome of a check that can fail (rule simulate's sim.json, rule tb's tb.json), kept when it fails.

Snakemake deletes the output of a failed job, so a failing check writes the same record to a failure
record beside its output (``sim.failed.json``), which is no rule's output and so survives; then the job
fails. A later pass writes the output and removes the record. The summary and the pass matrix read the
record where one exists, so the report shows the failure and where it happened.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

FAILED_SUFFIX = ".failed.json"


def failure_record(output: str | Path) -> Path:
    """Where the check whose output is ``output`` (``.../sim.json``) records a failure."""
    output = Path(output)
    return output.with_name(output.name.removesuffix(".json") + FAILED_SUFFIX)


def _write(record: dict, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(partial, path)


def write_outcome(record: dict, output: str | Path) -> None:
    """A passed check writes ``output`` and clears an earlier failure record; a failed one writes only the
    record (the job then fails and Snakemake would delete ``output``)."""
    if record["passed"]:
        _write(record, Path(output))
        failure_record(output).unlink(missing_ok=True)
    else:
        _write(record, failure_record(output))


def outcome_path(output: str | Path) -> str:
    """What to read for the check whose output is ``output``: its failure record where the last run failed."""
    record = failure_record(output)
    return str(record) if record.is_file() else str(output)


def read_outcome(path: str | Path) -> dict:
    path = Path(path)
    if path.name.endswith(FAILED_SUFFIX) and not path.is_file():
        # the check ran again in this run and passed: the record is cleared, the output holds the outcome
        path = path.with_name(path.name.removesuffix(FAILED_SUFFIX) + ".json")
    return json.loads(path.read_text())
