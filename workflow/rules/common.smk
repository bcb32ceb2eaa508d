# Config validation and the helpers that map config onto targets and params.
import json

from qaccel.config import validate_config

validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))

DATA = "resources/cifar10.npz"
MODEL = "results/train/model.pt"


def layer_dir(layer):
    return f"results/layer{layer}"


def vector_targets():
    return [
        f"{layer_dir(layer)}/{dataflow}/{name}"
        for layer in config["export"]["layers"]
        for dataflow in config["export"]["dataflows"]
        for name in ("manifest.json", "out.txt")
    ]


def train_recipe(wildcards=None):
    """The selected recipe only: editing another recipe does not retrain."""
    return config["train"]["recipes"][config["train"]["recipe"]]


def train_settings(wildcards=None):
    keys = ("device", "seed", "threads", "train_subset", "test_subset", "max_steps", "log_every")
    settings = {key: config["train"][key] for key in keys}
    settings.update(mean=config["data"]["mean"], std=config["data"]["std"], **config["quant"])
    return settings


def training_uses_gpu():
    return config["train"]["device"] != "cpu"
