"""Rule serialize: the vector files of FORMATS.md and manifest.json for one layer and dataflow."""
import numpy as np

from qaccel.export import Hardware, serialize
from qaccel.stage_log import StageLog
from qaccel.tiling import load_tiles

layer_index = int(snakemake.wildcards.layer)
dataflow = snakemake.wildcards.dataflow
with StageLog(snakemake.log[0], f"serialize layer {layer_index} {dataflow}") as log:
    layer = np.load(snakemake.input.integers)
    tiles = load_tiles(snakemake.input.tiles, dataflow)
    hw = Hardware(rows=snakemake.params.rows, cols=snakemake.params.cols, act_bits=int(layer["act_bits"]), weight_bits=int(layer["weight_bits"]),
                  psum_bits=snakemake.params.psum_bits)
    manifest = serialize(snakemake.output.vectors, dataflow, tiles, layer["act_int"].shape,
                         int(layer["weight_int"].shape[0]), bool(layer["relu"]), hw, layer=layer_index,
                         act_signed=bool(layer["act_signed"]))
    log(f"{len(manifest['files'])} files, tiles {manifest['tiles']}")
