"""Rule tile: WS or OS tiling of one integer layer, checked against conv2d on the integers."""
import json
from dataclasses import asdict

import numpy as np

from qaccel.export.tile_check import check_against_conv2d
from qaccel.export.tiling import save_tiles, tile
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
dataflow = snakemake.wildcards.dataflow
with StageLog(snakemake.log[0], f"tile layer {snakemake.wildcards.layer} {dataflow}") as log:
    layer = np.load(snakemake.input[0])
    tiles = tile(dataflow, layer["act_int"], layer["weight_int"], p.rows, p.cols, bool(layer["relu"]))
    check = check_against_conv2d(tiles.output, layer["act_int"], layer["weight_int"], bool(layer["relu"]),
                                 f"layer {snakemake.wildcards.layer} {dataflow}")
    save_tiles(snakemake.output.tiles, tiles)
    shapes = {name: list(array.shape) for name, array in asdict(tiles).items()}
    with open(snakemake.output.check, "w") as handle:
        json.dump({**check, "rows": p.rows, "cols": p.cols, "shapes": shapes}, handle, indent=1)
    log(f"{check['outputs']} outputs equal to conv2d; shapes {shapes}")
