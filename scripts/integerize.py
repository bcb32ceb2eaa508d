"""Rule integerize: act_int / weight_int of one layer, checked as FORMATS.md asks."""
import json

import numpy as np
import torch

from qaccel.export.integerize import integerize
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
with StageLog(snakemake.log[0], f"integerize layer {snakemake.wildcards.layer}") as log:
    captured = torch.load(snakemake.input[0], weights_only=True)
    result = integerize(captured, image=0, integer_tolerance=p.integer_tolerance,
                        max_recovered_error=p.max_recovered_error)
    report = {**result["report"], "image_index": captured["image_indices"][0]}
    np.savez(snakemake.output.integers, act_int=result["act_int"], weight_int=result["weight_int"],
             relu=report["relu"], act_signed=report["act_signed"], layer=report["layer"],
             act_bits=captured["a_bits"], weight_bits=captured["w_bits"])
    with open(snakemake.output.report, "w") as handle:
        json.dump(report, handle, indent=1)
    log(f"recovered mean abs error {report['recovered_mean_abs_error']:.3e}; act_int {report['act_int_range']}, "
        f"weight_int {report['weight_int_range']}")
