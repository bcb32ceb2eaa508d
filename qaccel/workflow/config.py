"""qaccel's configuration: one schema (``config.schema.yaml`` beside this module) defines every key's
type, range, default and meaning. ``config.yaml`` is generated from it (``python -m qaccel.workflow.config
--write config.yaml``), the code reads its defaults from it, and :func:`validate_config` checks a
configuration against it, then checks the relations between keys that a schema cannot express.
(``qaccel.workflow.checks`` adds what needs the layer table, the core's limits or the built data.)

Every error names the config key (``train.recipes.seed.lr``); all schema errors are reported at once,
before any job runs. Nothing here imports torch: the Snakefile calls it on every parse.
"""
from __future__ import annotations

import copy
import textwrap
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

SCHEMA = "config.schema.yaml"
# train.recipe auto: the recipe trained on each device type.
AUTO_RECIPES = {"cuda": "fast", "cpu": "cpu"}
GENERATED_NOTE = ("Generated from qaccel/workflow/config.schema.yaml by `python -m qaccel.workflow.config --write config.yaml`: "
                  "edit the schema, not this file.")


class ConfigError(ValueError):
    pass


@lru_cache(maxsize=None)  # every parse of the workflow reads the schema several times: parse it once
def _parsed_schema(path: str | None) -> dict:
    text = resources.files(__package__).joinpath(SCHEMA).read_text() if path is None else Path(path).read_text()
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml's, where PyYAML has it


def load_schema(path: str | Path | None = None) -> dict:
    """The configuration schema (the package's own unless ``path`` names another); a fresh copy."""
    return copy.deepcopy(_parsed_schema(None if path is None else str(path)))


def _resolve(spec: dict, root: dict) -> dict:
    """``spec`` with its ``$ref`` replaced by the definition (sibling keys such as default win)."""
    if "$ref" not in spec:
        return spec
    target = root["$defs"][spec["$ref"].rsplit("/", 1)[1]]
    return {**_resolve(target, root), **{key: value for key, value in spec.items() if key != "$ref"}}


def fill_defaults(config: dict, schema: dict, root: dict | None = None) -> None:
    """Insert the schema's defaults for missing keys, recursing into nested objects and maps."""
    root = root or schema
    schema = _resolve(schema, root)
    for key, spec in schema.get("properties", {}).items():
        spec = _resolve(spec, root)
        if key not in config and "default" in spec:
            config[key] = copy.deepcopy(spec["default"])
        if isinstance(config.get(key), dict):
            fill_defaults(config[key], spec, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in config.items():
            if key not in schema.get("properties", {}) and isinstance(value, dict):
                fill_defaults(value, extra, root)


def default_config() -> dict:
    """Every key at its default, as config.yaml holds it."""
    config: dict = {}
    fill_defaults(config, load_schema())
    return config


def recipe_defaults() -> dict:
    """The defaults of the optional recipe keys (``$defs.recipe``)."""
    schema = load_schema()
    return {key: spec["default"] for key, spec in schema["$defs"]["recipe"]["properties"].items() if "default" in spec}


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
    if error.validator == "required":
        prefix = f"{key}." if error.absolute_path else ""
        why = f" ({error.schema['description']})" if "description" in error.schema else ""
        return "; ".join(f"config key {prefix}{name}: missing{why}"
                         for name in error.validator_value if name not in error.instance)
    return f"config key {key}: {error.message}"


def _validator(schema: dict):
    import jsonschema  # here, not at the top: `python -m qaccel.training.train --recipe/--settings` runs without it

    # JSON Schema counts 8.0 as an integer; a size of 8.0 would then fail deep inside numpy.
    integers_only = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
    strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=integers_only)
    return strict(schema)


def validate_config(config: dict, schema_path: str | Path | None = None) -> None:
    """Fill in defaults, then raise ConfigError naming every key that the schema refuses, or the first
    key that the checks beyond the schema refuse."""
    schema = load_schema(schema_path)
    fill_defaults(config, schema)
    errors = sorted(_validator(schema).iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(_describe(e) for e in errors))
    check_config(config)


def _yaml_scalar(text: str):
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if isinstance(value, (dict, list)) else value


def _retyped(value):
    if isinstance(value, str):
        return _yaml_scalar(value)
    if isinstance(value, Mapping):
        return {key: _retyped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_retyped(item) for item in value]
    return value


def retype_command_line(config: dict, command_line: Mapping) -> None:
    """Give ``--config`` values the types a config file's YAML gives them.

    Snakemake reads ``--config 'hardware={rows: 16}'`` with YAML's BaseLoader, which leaves every
    nested scalar a string ('16'); the same text in a config file is the integer 16. Each section
    named on the command line is merged into ``config`` again with its scalars read as YAML.
    """
    for section, value in command_line.items():
        if isinstance(value, Mapping) and isinstance(config.get(section), dict):
            _merge(config[section], _retyped(value))


def recipe_problem(recipe: Mapping) -> tuple[str, str] | None:
    """The first rule of the recipe keys that ``recipe`` (every key filled in) breaks, as (key, why), or None.

    The one statement of these rules: the configuration check (every recipe, before any job) and training
    (the recipe it is given, however it was made) both ask here. A choice outside its schema ``enum`` is
    named too, for recipes that were not validated against the schema.
    """
    for key, spec in load_schema()["$defs"]["recipe"]["properties"].items():
        if "enum" in spec and recipe[key] not in spec["enum"]:
            return key, f"{recipe[key]!r} is not one of {spec['enum']}"
    if recipe["schedule"] == "onecycle" and recipe["warmup_epochs"] >= recipe["epochs"]:
        return "warmup_epochs", f"must be below epochs ({recipe['epochs']})"
    if recipe["float_warmup_epochs"] >= recipe["epochs"]:
        return "float_warmup_epochs", (f"must be below epochs ({recipe['epochs']}), so that the last epochs train "
                                       f"the quantised network")
    if recipe["alpha_init"] == "mse" and not recipe["float_warmup_epochs"]:
        return "alpha_init", ("'mse' needs float_warmup_epochs > 0 (the alphas are fitted to the float network "
                              "when quantization switches on)")
    if recipe["cuda_graph"] and recipe["loader"] != "device":
        return "cuda_graph", "needs loader 'device', whose full batches keep every step's shapes fixed"
    return None


def check_config(config: dict) -> None:
    """Relations between keys, which the schema cannot express (``config`` validated, defaults filled in)."""
    train = config["train"]
    recipes = train["recipes"]
    if train["recipe"] == "auto":
        missing = sorted(set(AUTO_RECIPES.values()) - set(recipes))
        if missing:
            raise ConfigError(f"config key train.recipe: 'auto' picks among train.recipes {sorted(AUTO_RECIPES.values())}, "
                              f"but {missing} is not defined")
    elif train["recipe"] not in recipes:
        raise ConfigError(f"config key train.recipe: {train['recipe']!r} is not one of train.recipes "
                          f"{sorted(recipes)} (or 'auto')")
    for name, recipe in recipes.items():
        problem = recipe_problem(recipe)
        if problem:
            raise ConfigError(f"config key train.recipes.{name}.{problem[0]}: {problem[1]}")
    data = config["data"]
    if data["source"] == "archive" and not data["archive"]:
        raise ConfigError("config key data.archive: must name the archive file when data.source is 'archive'")


def load_config_files(paths: list[str | Path], schema_path: str | Path | None = None) -> dict:
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
    """The selected recipe only: editing another recipe must not retrain. For ``auto``, the recipe of
    each device type (``{"auto": {"cuda": {...}, "cpu": {...}}}``): the training job picks by its device."""
    train = config["train"]
    if train["recipe"] == "auto":
        return {"auto": {device: {"name": name, **train["recipes"][name]} for device, name in AUTO_RECIPES.items()}}
    return train["recipes"][train["recipe"]]


def training_settings(config: dict) -> dict:
    """What the training result depends on (log_every only shapes the log, so it is left out)."""
    keys = ("device", "seed", "threads", "deterministic", "train_subset", "test_subset", "max_steps")
    settings = {key: config["train"][key] for key in keys}
    settings.update(mean=config["data"]["mean"], std=config["data"]["std"], **config["quant"])
    return settings


# config.yaml, written from the schema: each key at its default with its description as a comment.
WIDTH = 100
COMMENT_COLUMN = 32


def _comment(text: str, indent: str) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ",
                         break_on_hyphens=False)


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=1_000_000).strip().removesuffix("\n...").strip()


def _render(name: str, spec: dict, value, indent: str, root: dict, documented: set) -> list[str]:
    """``documented``: ids of the specs already described (a recipe key is described once, not per recipe)."""
    description = None if id(spec) in documented else _resolve(spec, root).get("description")
    documented.add(id(spec))
    spec = _resolve(spec, root)
    if isinstance(value, dict) and value:
        lines = (_comment(description, indent) if description else []) + [f"{indent}{name}:"]
        known, extra = spec.get("properties", {}), spec.get("additionalProperties")
        for key in sorted(value, key=lambda key: list(known).index(key) if key in known else len(known)):
            item_spec = known.get(key, extra if isinstance(extra, dict) else {})
            lines += _render(key, item_spec, value[key], indent + "  ", root, documented)
        return lines
    line = f"{indent}{name}: {_flow(value)}"
    if not description:
        return [line]
    inline = f"{line.ljust(COMMENT_COLUMN - 2)}  # {' '.join(description.split())}"
    return [inline] if len(inline) <= WIDTH else _comment(description, indent) + [line]


def render_config_yaml() -> str:
    """The text of config.yaml: every key at its schema default, documented by its description."""
    schema = load_schema()
    lines = _comment(schema["description"], "") + _comment(GENERATED_NOTE, "")
    documented: set = set()
    for section, value in default_config().items():
        lines += [""] + _render(section, schema["properties"][section], value, "", schema, documented)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """``python -m qaccel.workflow.config``: write or check config.yaml against the schema."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m qaccel.workflow.config", description=main.__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="YAML", help="write the defaults with their documentation")
    action.add_argument("--check", metavar="YAML", help="exit 1 unless the file is what --write would write")
    args = parser.parse_args(argv)
    text = render_config_yaml()
    if args.write:
        Path(args.write).write_text(text)
    elif Path(args.check).read_text() != text:
        sys.exit(f"{args.check} is not the schema's defaults and documentation; run "
                 f"python -m qaccel.workflow.config --write {args.check}")


if __name__ == "__main__":
    main()
