"""Rule network_shard: test images {first}..{last} through the float, integer, integer-only and backend paths,
every layer checked."""
import json

import torch

from qaccel import data
from qaccel.export.requant import RequantWidths
from qaccel.model.checkpoint import load_model
from qaccel.network.backends import conv_backend
from qaccel.network.shard import run_shard
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
w = snakemake.wildcards
with StageLog(snakemake.log[0], f"network {w.dataflow} images {w.first}-{w.last}") as log:
    torch.set_num_threads(snakemake.threads)
    backend = conv_backend(p.backend, snakemake.input.build or None, w.dataflow, p.hardware)
    results, timing = run_shard(
        load_model(snakemake.input.model), data.load(snakemake.input.data, keys=("test_images", "test_labels")),
        snakemake.input.data, int(w.first), int(w.last), backend, p.backend, w.dataflow, p.hardware, p.mean, p.std,
        p.integer_tolerance, RequantWidths.from_config(p.requant), log)
    for value, path in ((results, snakemake.output.results), (timing, snakemake.output.timing)):
        with open(path, "w") as handle:
            json.dump(value, handle, indent=1)
