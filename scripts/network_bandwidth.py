"""Rule network_bandwidth: image network.first through the network on the core at each of
network.bandwidths DRAM bytes per cycle, both dataflows, every layer's levels checked (the memory-bound
figure's data)."""
from qaccel import data
from qaccel.export.capture import capture_batch
from qaccel.export.requant import RequantWidths
from qaccel.model.checkpoint import load_model
from qaccel.network.bandwidth import sweep, write_table
from qaccel.network.integer_only import IntegerOnlyNetwork
from qaccel.rtl.build import BenchBuild
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
with StageLog(snakemake.log[0], "network bandwidth") as log:
    runs = len(p.bandwidths) * len(p.dataflows)
    log(f"image {p.image} through the network on the core at {p.bandwidths} bytes per cycle, "
        f"{', '.join(p.dataflows)}: {runs} runs of 4 to 8 million cycles, about 5 to 10 s each with Verilator "
        f"(fewer network.bandwidths or dataflows: quicker)")
    model = load_model(snakemake.input.model)
    test = data.load(snakemake.input.data, keys=("test_images", "test_labels"))
    images, _ = capture_batch(test, p.image, 1, p.mean, p.std)
    network = IntegerOnlyNetwork(model, RequantWidths.from_config(p.requant), p.integer_tolerance)
    rows = sweep(BenchBuild.load(snakemake.input.build), network, images, p.image, p.dataflows, p.bandwidths,
                 p.latency, log)
    write_table(rows, snakemake.output.table)
