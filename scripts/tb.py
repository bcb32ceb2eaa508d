"""Rule tb: the test bench run in a layer's vector folder (it opens the files by name), its record
in tb.json; a bench that fails fails the job with the reason (file, line and field for core_tb.v)."""
import os
from pathlib import Path

from qaccel.rtl.user_bench import BenchSpec, run_user_bench
from qaccel.workflow.outcomes import write_outcome

spec = BenchSpec(**snakemake.params.bench)
record = run_user_bench(spec, Path(snakemake.input.vectors), Path(snakemake.input.build), Path(snakemake.log[0]),
                        snakemake.params.time_limit_s)
# Paths relative to the working directory: tb.json stays the same wherever the run happened.
for key in ("vector_dir", "build_dir", "log"):
    if record[key]:
        record[key] = os.path.relpath(record[key])
write_outcome(record, snakemake.output[0])  # a failure goes to tb.failed.json, which the report shows
if not record["passed"]:
    raise RuntimeError(f"layer {snakemake.wildcards.layer} {snakemake.wildcards.dataflow}: {spec.top} failed at "
                       f"{record['failed_at']}: {record['reason']}")
