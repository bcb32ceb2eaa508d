"""Rule jobs_figure: wall time and peak memory of every job, from Snakemake's benchmark files."""
import csv
import math

from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog


def number(text):
    """A benchmark field; Snakemake writes NA where a job ended before its first memory sample."""
    try:
        return float(text)
    except ValueError:
        return math.nan


with StageLog(snakemake.log[0], "jobs figure") as log:
    names, seconds, memory = [], [], []
    for path in snakemake.input.benchmarks:
        with open(path) as handle:
            record = next(csv.DictReader(handle, delimiter="\t"))
        *where, rule = path.removeprefix("logs/").removesuffix(".benchmark.tsv").split("/")
        names.append(f"{rule} {'/'.join(where)}".strip())
        seconds.append(number(record["s"]))
        memory.append(number(record["max_rss"]))
    figures.jobs(names, seconds, memory, snakemake.output[0])
    log(f"wrote {snakemake.output[0]} ({len(names)} jobs)")
