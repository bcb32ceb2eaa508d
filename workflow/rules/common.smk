# Config validation and the helpers that map config onto targets, inputs and params.
import glob
import json
import os
from dataclasses import replace

from qaccel.workflow.config import (
    retype_command_line,
    training_recipe,
    training_settings,
    validate_config,
)
from qaccel.model.layers import conv_layer
from qaccel.network.images import shard_ranges
from qaccel.hw.core import parameters_from_key
from qaccel.rtl.build import choose_simulator, layer_parameters, network_parameters
from qaccel.rtl.cycles import core_cycles
from qaccel.rtl.limits import core_shape
from qaccel.rtl.program import ConvShape
from qaccel.rtl.user_bench import bench_description, core_tb_bench, user_bench
from qaccel.workflow.rule_code import code_inputs, use_one_copy
from qaccel.workflow.checks import check_workflow, exportable_layer
from qaccel.workflow.file_digests import file_digest
from qaccel.workflow.outcomes import outcome_path

DATA = "resources/cifar10.npz"
MODEL = "results/train/model.pt"
SUMMARY = "results/summary.tsv"
NETWORK_REPORT = ["results/network/accuracy.tsv", "results/network/layers.tsv"]

# Before any job: --config values typed as in a config file, the schema, the layers, the data.
retype_command_line(config, workflow.config_settings.config)
validate_config(config)
check_workflow(config, DATA)

SCRIPTS = os.path.join(workflow.basedir, "scripts")
# The qaccel beside the Snakefile, which this parse imported, goes first on the jobs' PYTHONPATH; the
# workflow refuses if they would import another copy. The rules' code digests are of this copy.
LIBRARY = use_one_copy(workflow.basedir)
# rtl/ beside workflow/, found from the Snakefile's directory so any --directory works; its real path, so that
# the same files reached through a link of the checkout are the same inputs.
RTL_DIR = os.path.realpath(os.path.join(workflow.basedir, "rtl"))
RTL_SOURCES = sorted(glob.glob(os.path.join(RTL_DIR, "*.v")))
BENCH_SOURCES = sorted(glob.glob(os.path.join(RTL_DIR, "bench", "layer_bench*")))
# The core config.yaml describes, and its two builds (per simulator), each named by every build
# parameter: the layer simulations' (one conv per program, its weights and sums whole in the core,
# memories for any conv of VGG16), and the accelerator the network runs on (one program per image,
# weights by DMA; results/hw costs it).
CORE = core_shape(config)
LAYER_BUILD = layer_parameters(CORE)
NETWORK_BUILD = network_parameters(CORE)


def library_code(script):
    """The digest files of the qaccel modules that scripts/``script`` runs: as inputs, an edit to one
    of them that can change a result re-runs the rule (Snakemake's code trigger sees the script alone).
    """
    return code_inputs(os.path.join(SCRIPTS, script), LIBRARY)


def layer_dir(layer):
    return f"results/layer{layer}"


def exported(name):
    """``name`` in every exported layer and dataflow directory, layer by layer."""
    return [
        f"{layer_dir(layer)}/{dataflow}/{name}"
        for layer in config["export"]["layers"]
        for dataflow in config["export"]["dataflows"]
    ]


def check_outcomes(name):
    """``name`` (sim.json, tb.json) of every exported layer and dataflow, or its failure record where the
    last check failed: the summary and the figures then show the failure, while rule all still asks for
    ``name`` and so runs the failing check again."""
    return [outcome_path(path) for path in exported(name)]


def vector_targets():
    return exported("out.txt") + exported("sim.json") + exported("tb.json")


def data_inputs(wildcards):
    """The archive, when the data comes from one: a missing archive fails a dry run. Its time stamp is
    ignored: its content is the rule's param archive_sha256 (archive_content)."""
    if config["data"]["source"] == "archive":
        return {"archive": ancient(config["data"]["archive"])}
    return {}


def archive_content():
    """What the data is made of, as the data rule's param: the pinned data.archive_sha256 (checked
    against the archive while parsing; lower case, so the same content is the same param), else the
    archive's own digest (qaccel.workflow.file_digests)."""
    data = config["data"]
    if data["archive_sha256"]:
        return data["archive_sha256"].lower()
    if data["source"] != "archive" or not os.path.isfile(data["archive"]):
        return None
    return file_digest(data["archive"])


def capture_inputs(wildcards):
    """A target such as results/layer5/... names a layer that must be a QuantConv2d."""
    conv_layer(int(wildcards.layer))
    return {"model": MODEL, "data": DATA}


def tile_input(wildcards):
    """A target's layer must also be one whose activations the RTL core takes."""
    exportable_layer(int(wildcards.layer), config)
    return f"{layer_dir(wildcards.layer)}/integer.npz"


def train_recipe_json(wildcards=None):
    return json.dumps(training_recipe(config), sort_keys=True)


def train_settings_json(wildcards=None):
    return json.dumps(training_settings(config), sort_keys=True)


def training_uses_gpu():
    return config["train"]["device"] != "cpu"


def build_of_key(key):
    """A simulator build's key (sim_build()): the core's parameters, and the planted fault named after
    them, if any."""
    core, _, mutant = key.partition("-MUTANT_")
    return parameters_from_key(core), f"MUTANT_{mutant}" if mutant else None


def profile_guided(simulator, key):
    """Whether a build is profile-guided (sim.profile_guided): Verilator builds of the core as
    designed, not Icarus's nor a planted fault's."""
    return (
        config["sim"]["profile_guided"]
        and simulator == "verilator"
        and build_of_key(key)[1] is None
    )


def sim_build(simulator, parameters):
    """The build directory of ``simulator`` for ``parameters`` (LAYER_BUILD or NETWORK_BUILD) and the
    planted fault, if any."""
    mutant = config["sim"]["mutant"]
    return f"resources/sim_build/{simulator}-{parameters.key()}" + (
        f"-{mutant}" if mutant else ""
    )


def layer_simulator(layer, dataflow):
    """sim.simulator for one layer: auto picks by the layer's cycles on the core."""
    conv = conv_layer(int(layer))
    shape = ConvShape(conv.in_channels, conv.out_channels, conv.height, conv.width)
    cycles = core_cycles(dataflow, shape, CORE.rows, CORE.cols)
    return choose_simulator(
        config["sim"]["simulator"], config["sim"]["auto_cycles"], cycles
    )


def simulate_build(wildcards):
    return sim_build(layer_simulator(wildcards.layer, wildcards.dataflow), LAYER_BUILD)


def tb_simulator(layer, dataflow):
    """The test bench's simulator: sim.user's, or core_tb.v's as a layer's simulation picks."""
    user = config["sim"]["user"]
    return user["simulator"] if user else layer_simulator(layer, dataflow)


def tb_bench(simulator):
    """The bench of rule tb as plain data (sim.user's, or rtl/bench/core_tb.v on the configured core)."""
    user = config["sim"]["user"]
    return bench_description(
        user_bench(user) if user else core_tb_bench(simulator, CORE, RTL_DIR)
    )


def tb_build(wildcards):
    return f"resources/tb_build/{tb_simulator(wildcards.layer, wildcards.dataflow)}"


def tb_sources(wildcards):
    return tb_bench(wildcards.simulator)["sources"]


def tb_build_bench(wildcards):
    return tb_bench(wildcards.simulator)


def network_build(wildcards):
    """The network runs millions of cycles per image: Verilator unless sim.simulator says otherwise."""
    if config["network"]["backend"] != "core":
        return []
    simulator = config["sim"]["simulator"]
    return sim_build("verilator" if simulator == "auto" else simulator, NETWORK_BUILD)


def layer_figure_targets():
    return expand("results/figures/layer{layer}.png", layer=config["export"]["layers"])


def figure_targets():
    return [
        "results/figures/training_curves.png",
        "results/figures/alphas.png",
        *layer_figure_targets(),
        "results/figures/rtl_pass.png",
        "results/figures/rtl_cycles.png",
        "results/figures/jobs.png",
        "results/figures/network_accuracy.png",
        "results/figures/network_energy.png",
        *(
            ["results/figures/memory_bound.png"]
            if config["network"]["backend"] == "core"
            else []
        ),
    ]


def job_benchmarks():
    """The benchmark file of every job of the run that the jobs figure shows (all but its own)."""
    layers = config["export"]["layers"]
    dataflows = config["export"]["dataflows"]
    per_layer = expand(
        "logs/layer{layer}/{stage}.benchmark.tsv",
        layer=layers,
        stage=["capture", "integerize", "figure"],
    )
    per_dataflow = [
        f"logs/layer{layer}/{dataflow}/{stage}.benchmark.tsv"
        for layer in layers
        for dataflow in dataflows
        for stage in ("tile", "serialize", "simulate", "tb")
    ]
    pairs = [(layer, dataflow) for layer in layers for dataflow in dataflows]
    builds = {sim_build(layer_simulator(*pair), LAYER_BUILD) for pair in pairs}
    if config["network"]["backend"] == "core":
        builds.add(network_build(None))
    builds = sorted(
        build.replace("resources/", "logs/", 1) + ".benchmark.tsv" for build in builds
    )
    tb_builds = sorted(
        {f"logs/tb_build/{tb_simulator(*pair)}.benchmark.tsv" for pair in pairs}
    )
    network = [
        f"logs/network/{dataflow}/{name}.benchmark.tsv"
        for dataflow in config["network"]["dataflows"]
        for name in [f"images{first}-{last}" for first, last in network_shards()]
        + ["merge"]
    ]
    figures = [
        "logs/figures/training.benchmark.tsv",
        "logs/figures/rtl.benchmark.tsv",
        "logs/figures/network.benchmark.tsv",
    ]
    if config["network"]["backend"] == "core":
        network.append("logs/network/bandwidth.benchmark.tsv")
        figures.append("logs/figures/memory_bound.benchmark.tsv")
    return [
        "logs/data.benchmark.tsv",
        "logs/train.benchmark.tsv",
        *per_layer,
        *per_dataflow,
        *builds,
        *tb_builds,
        "logs/summary.benchmark.tsv",
        *figures,
        *network,
        "logs/network/report.benchmark.tsv",
    ]


def network_targets():
    return [
        f"results/network/{dataflow}/predictions.tsv"
        for dataflow in config["network"]["dataflows"]
    ] + NETWORK_REPORT


# What SCALE-Sim's own Python executes, an input of the scalesim jobs (their library digest covers the
# modules scripts/scalesim.py imports; this file is run, not imported).
SCALESIM_RUNNER = os.path.join(LIBRARY, "scalesim", "runner.py")


def scalesim_targets():
    """SCALE-Sim on the configured array (hardware.rows x hardware.cols), in both dataflows."""
    return [
        f"results/scalesim/{CORE.rows}x{CORE.cols}/{dataflow}.json"
        for dataflow in ("ws", "os")
    ]


def network_shards():
    """(first, last) image of every shard of network.first, count and shard."""
    network = config["network"]
    return shard_ranges(network["first"], network["count"], network["shard"])


def _network_shard_files(dataflow, suffix):
    return [
        f"results/network/{dataflow}/shards/images{first}-{last}.{suffix}"
        for first, last in network_shards()
    ]


def network_shard_results(wildcards):
    return _network_shard_files(wildcards.dataflow, "json")


def network_shard_timings(wildcards):
    return _network_shard_files(wildcards.dataflow, "timing.json")


# The core of each array of dse.arrays: the configured core's lanes, memories sized for the network.
DSE_CORES = [
    network_parameters(replace(CORE, rows=array["rows"], cols=array["cols"])).key()
    for array in config["dse"]["arrays"]
]


def core_hardware(core):
    """The hardware settings (config key hardware) of a core key, and the bench's DRAM (the same for
    every core)."""
    parameters = parameters_from_key(core)
    return {
        "rows": parameters.rows,
        "cols": parameters.cols,
        "act_bits": parameters.act_bits,
        "act_signed": parameters.act_signed,
        "psum_bits": parameters.psum_bits,
        "dram_latency": config["hardware"]["dram_latency"],
        "dram_bytes_per_cycle": config["hardware"]["dram_bytes_per_cycle"],
    }


def dse_networks():
    last = config["dse"]["images"] - 1
    return expand(
        "results/dse/{core}/{dataflow}/images0-{last}.json",
        core=DSE_CORES,
        dataflow=config["dse"]["dataflows"],
        last=last,
    )


def dse_placed(wildcards):
    """Place and route of each swept core that its synthesis (a checkpoint) says fits hw.part."""
    placed = []
    for core in DSE_CORES:
        with open(checkpoints.hw_synth.get(core=core).output.report) as handle:
            if json.load(handle)["ecp5"]["fits"]:
                placed.append(f"results/hw/{core}/pnr.json")
    return placed
