# Config validation and the helpers that map config onto targets and params.
import json

from qaccel.config import training_recipe, training_settings, validate_config
from qaccel.network.shard import shard_ranges

validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))

DATA = "resources/cifar10.npz"
MODEL = "results/train/model.pt"
SUMMARY = "results/summary.tsv"
NETWORK_REPORT = ["results/network/accuracy.tsv", "results/network/layers.tsv"]


def layer_dir(layer):
    return f"results/layer{layer}"


def exported(name):
    """``name`` in every exported layer and dataflow directory, layer by layer."""
    return [
        f"{layer_dir(layer)}/{dataflow}/{name}"
        for layer in config["export"]["layers"]
        for dataflow in config["export"]["dataflows"]
    ]


def vector_targets():
    return exported("manifest.json") + exported("out.txt") + exported("sim.json")


def train_recipe_json(wildcards=None):
    return json.dumps(training_recipe(config), sort_keys=True)


def train_settings_json(wildcards=None):
    return json.dumps(training_settings(config), sort_keys=True)


def training_uses_gpu():
    return config["train"]["device"] != "cpu"


def network_targets():
    return [f"results/network/{dataflow}/predictions.tsv" for dataflow in config["network"]["dataflows"]] + NETWORK_REPORT


def _network_shard_files(dataflow, suffix):
    network = config["network"]
    return [f"results/network/{dataflow}/shards/images{first}-{last}.{suffix}"
            for first, last in shard_ranges(network["first"], network["count"], network["shard"])]


def network_shard_results(wildcards):
    return _network_shard_files(wildcards.dataflow, "json")


def network_shard_timings(wildcards):
    return _network_shard_files(wildcards.dataflow, "timing.json")
