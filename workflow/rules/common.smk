# Config validation and the helpers that map config onto targets and params.
import json

from qaccel.config import training_recipe, training_settings, validate_config

validate_config(config)

DATA = "resources/cifar10.npz"
MODEL = "results/train/model.pt"
SUMMARY = "results/summary.tsv"


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
