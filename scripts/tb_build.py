"""Rule tb_build: compile rule tb's test bench (rtl/bench/core_tb.v or sim.user) with one simulator."""
from pathlib import Path

from qaccel.rtl.user_bench import BenchSpec, compile_bench

spec = BenchSpec(**snakemake.params.bench)
with open(snakemake.log[0], "w") as log:
    bench = compile_bench(spec, Path(snakemake.output[0]), log, jobs=snakemake.threads)
    log.write(f"compiled in {bench.compile_wall_s:.1f} s: {bench.directory}\n")
