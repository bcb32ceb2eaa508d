"""Rule layer_figure: one exported layer's integers, recovered-output error and partial-sum ranges."""
import json
from pathlib import Path

import numpy as np
import torch

from qaccel.export.integerize import integerize
from qaccel.export.tiling import load_tiles
from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog

layer = int(snakemake.wildcards.layer)
with StageLog(snakemake.log[0], f"layer {layer} figure") as log:
    report = json.loads(Path(snakemake.input.report).read_text())
    captured = torch.load(snakemake.input.capture, weights_only=True)
    recovered = integerize(captured, image=0, integer_tolerance=report["integer_tolerance"],
                           max_recovered_error=report["max_recovered_error"])
    integers = np.load(snakemake.input.integers)
    ranges = []
    for tiles_path, manifest_path in zip(snakemake.input.tiles, snakemake.input.manifests):
        manifest = json.loads(Path(manifest_path).read_text())
        dataflow = manifest["dataflow"]
        tiles = load_tiles(tiles_path, dataflow)
        partial = tiles.psum if dataflow == "ws" else tiles.tile_output
        name = "psum_kij*.txt" if dataflow == "ws" else "out_os*.txt"
        ranges.append({"label": f"{dataflow.upper()} {name}", "low": int(partial.min()), "high": int(partial.max()),
                       "bits": manifest["fields"]["psum"]["bits"]})
    # out.txt is the same for both dataflows: the last set's stands for both.
    ranges.append({"label": "out.txt", "low": int(tiles.output.min()), "high": int(tiles.output.max()),
                   "bits": manifest["fields"]["output"]["bits"]})
    figures.layer_figure(layer, integers["act_int"], integers["weight_int"], recovered["recovered_abs_error"],
                         report["max_recovered_error"], ranges, snakemake.output[0])
    log(f"wrote {snakemake.output[0]}: value ranges {ranges}")
