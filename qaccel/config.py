"""Validation of config.yaml: the JSON schema first, then what a schema cannot express.

Every error names the config key (``train.recipes.seed.lr``) and all schema errors are reported at
once, before any job runs.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .model import VGGQuant, quant_conv_indices


class ConfigError(ValueError):
    pass


def fill_defaults(config: dict, schema: dict, root: dict | None = None) -> None:
    """Insert the schema's defaults for missing keys, recursing into nested objects and maps."""
    root = root or schema
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    for key, spec in schema.get("properties", {}).items():
        if key not in config and "default" in spec:
            default = spec["default"]
            config[key] = type(default)(default) if isinstance(default, (dict, list)) else default
        if isinstance(config.get(key), dict):
            fill_defaults(config[key], spec, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in config.items():
            if key not in schema.get("properties", {}) and isinstance(value, dict):
                fill_defaults(value, extra, root)


def _key_path(error) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _describe(error) -> str:
    key = _key_path(error)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        prefix = f"{key}." if error.absolute_path else ""
        allowed = f" (allowed: {', '.join(known)})" if known else ""
        return "; ".join(f"config key {prefix}{name}: unknown key{allowed}" for name in unknown)
    return f"config key {key}: {error.message}"


def validate_config(config: dict, schema_path: str | Path) -> None:
    import jsonschema  # here, not at the top: `python -m qaccel.train --recipe/--settings` runs without it

    schema = yaml.safe_load(Path(schema_path).read_text())
    fill_defaults(config, schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(_describe(e) for e in errors))
    check_config(config)


def check_config(config: dict) -> None:
    train = config["train"]
    recipes = train.get("recipes") or {}
    if train["recipe"] not in recipes:
        raise ConfigError(f"config key train.recipe: {train['recipe']!r} is not one of train.recipes {sorted(recipes)}")
    for name, recipe in recipes.items():
        if recipe.get("schedule", "step") == "onecycle" and recipe.get("warmup_epochs", 0) >= recipe["epochs"]:
            raise ConfigError(f"config key train.recipes.{name}.warmup_epochs: must be below epochs ({recipe['epochs']})")
        if recipe.get("float_warmup_epochs", 0) >= recipe["epochs"]:
            raise ConfigError(f"config key train.recipes.{name}.float_warmup_epochs: must be below epochs "
                              f"({recipe['epochs']}), so that the last epochs train the quantised network")
        if recipe.get("alpha_init", "seed") == "mse" and not recipe.get("float_warmup_epochs", 0):
            raise ConfigError(f"config key train.recipes.{name}.alpha_init: 'mse' needs float_warmup_epochs > 0 "
                              f"(the alphas are fitted to the float network when quantization switches on)")
        if recipe.get("cuda_graph") and recipe.get("loader", "dataloader") != "device":
            raise ConfigError(f"config key train.recipes.{name}.cuda_graph: needs loader 'device', whose full "
                              f"batches keep every step's shapes fixed")
    data = config["data"]
    if data["source"] == "archive" and not data["archive"]:
        raise ConfigError("config key data.archive: must name the archive file when data.source is 'archive'")
    convs = quant_conv_indices(VGGQuant())
    for position, layer in enumerate(config["export"]["layers"]):
        if layer not in convs:
            raise ConfigError(
                f"config key export.layers[{position}]: layer {layer} is not a QuantConv2d of model.features; "
                f"QuantConv2d layers are {convs}"
            )


def load_config_files(paths: list[str | Path], schema_path: str | Path) -> dict:
    """Merge YAML files as Snakemake's --configfile does (later files win, nested keys merge); validate."""
    config: dict = {}
    for path in paths:
        _merge(config, yaml.safe_load(Path(path).read_text()) or {})
    validate_config(config, schema_path)
    return config


def _merge(base: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def training_recipe(config: dict) -> dict:
    """The selected recipe only: editing another recipe must not retrain."""
    return config["train"]["recipes"][config["train"]["recipe"]]


def training_settings(config: dict) -> dict:
    """What the training result depends on (log_every only shapes the log, so it is left out)."""
    keys = ("device", "seed", "threads", "deterministic", "train_subset", "test_subset", "max_steps")
    settings = {key: config["train"][key] for key in keys}
    settings.update(mean=config["data"]["mean"], std=config["data"]["std"], **config["quant"])
    return settings
