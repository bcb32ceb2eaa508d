"""Rule hw_pnr: nextpnr-ecp5 place and route of one core's ECP5 netlist: fmax and utilisation."""
import json
from pathlib import Path

from qaccel.hw.core import parameters_from_key
from qaccel.hw.estimate import announce
from qaccel.hw.parts import fit_check, placeable
from qaccel.hw.pnr import NEXTPNR, place_and_route
from qaccel.hw.tools import tool_version
from qaccel.workflow.stage_log import StageLog

core = snakemake.wildcards.core
p = snakemake.params
with StageLog(snakemake.log[0], f"hw_pnr {core}") as log:
    with open(snakemake.input.report) as handle:
        report = json.load(handle)
    placeable(report)
    fit_check(report["ecp5"]["resources"], p.part, core)
    version = tool_version(NEXTPNR)
    log(f"placing and routing {core} on {p.part} ({p.package}, seed {p.seed}, target {p.target_mhz:g} MHz) with "
        f"{version}: {announce('pnr', parameters_from_key(core))}; stopped after hw.pnr_timeout_s = "
        f"{snakemake.config['hw']['pnr_timeout_s']:g} s")
    result = place_and_route(Path(snakemake.input.netlist), p.part, p.package, p.seed, p.target_mhz, snakemake.config['hw']['pnr_timeout_s'],
                             log.handle, log)
    with open(snakemake.output[0], "w") as handle:
        json.dump({"core": core, "part": p.part, "package": p.package, "seed": p.seed, "nextpnr": version, **result},
                  handle, indent=1)
    log(f"fmax of {result['clock']}: {result['fmax_mhz']:.2f} MHz (target {result['target_mhz']:g} MHz)")
