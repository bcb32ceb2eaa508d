"""How long a hardware step will take, announced before it starts: a line through CPU times measured
on small cores, by the number of PEs (the memories' depths add to synthesis on top of it)."""
from __future__ import annotations

from qaccel.rtl.build import BenchParameters

# CPU seconds by PEs, measured on the project's 2-core machine (Yosys 0.70, nextpnr-ecp5 0.11) on
# r2c2a8sw4p32-6.6.6.4 and r4c4a8sw4p32-6.6.6.4, cores before the read-out (2026-12-06); synth is both
# mappings together. With the read-out a 2x2 core took 25 and 58 s (2026-12-07, its requantizer's two
# 32 x 24-bit lanes): the announcements run short by about that much until the line is re-measured.
MEASURED_CPU_SECONDS = {"synth": {4: 14, 16: 26}, "pnr": {4: 51, 16: 123}}


def estimate_seconds(step: str, parameters: BenchParameters) -> float:
    (few, few_seconds), (many, many_seconds) = sorted(MEASURED_CPU_SECONDS[step].items())
    per_pe = (many_seconds - few_seconds) / (many - few)
    return max(few_seconds, few_seconds + per_pe * (parameters.rows * parameters.cols - few))


def announce(step: str, parameters: BenchParameters) -> str:
    seconds = estimate_seconds(step, parameters)
    pes = parameters.rows * parameters.cols
    size = f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"
    return f"expect about {size} of CPU time for {pes} PEs (measured at 4 and 16 PEs with small memories)"
