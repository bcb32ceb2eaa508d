"""Rule hw_synth: Yosys synthesis of rtl/core.v for one core key, generic gates and ECP5 cells."""
import json
from pathlib import Path

from qaccel.hw.core import core_verilog_parameters, parameters_from_key
from qaccel.hw.estimate import announce
from qaccel.hw.synth import YOSYS, synthesize
from qaccel.hw.tools import tool_version
from qaccel.workflow.stage_log import StageLog

core = snakemake.wildcards.core
parameters = parameters_from_key(core)
with StageLog(snakemake.log[0], f"hw_synth {core}") as log:
    version = tool_version(YOSYS)
    log(f"synthesising rtl/core.v for {core} with {version}: {announce('synth', parameters)}; "
        f"stopped after hw.synth_timeout_s = {snakemake.config['hw']['synth_timeout_s']:g} s per Yosys run")
    report = synthesize(parameters, [Path(source) for source in snakemake.input.rtl], Path(snakemake.output.netlist),
                        snakemake.params.part, snakemake.config['hw']['synth_timeout_s'], log.handle, log)
    with open(snakemake.output.report, "w") as handle:
        json.dump({"core": core, "parameters": core_verilog_parameters(parameters), "yosys": version, **report},
                  handle, indent=1)
    generic, ecp5 = report["generic"], report["ecp5"]
    log(f"generic: {generic['nand2_equivalents']:.0f} NAND2 equivalents, {generic['memory_bits']} memory bits in "
        f"{len(generic['memories'])} memories; ECP5: " + (f"{ecp5['resources']}" if ecp5["fits"] else ecp5["refused"]))
