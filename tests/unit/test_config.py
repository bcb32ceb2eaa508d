"""Config validation: every error names the config key; defaults come from the schema."""
import copy

import pytest
import yaml

from qaccel.config import ConfigError, validate_config

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"
BASE = yaml.safe_load((REPO / "config.yaml").read_text())


def validated(**changes):
    config = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    validate_config(config, SCHEMA)
    return config


def test_the_shipped_config_is_valid():
    validated()


@pytest.mark.parametrize("change,message", [
    ({"train__epoch": 3}, r"config key train\.epoch: unknown key \(allowed: .*max_steps"),
    ({"hardwre": {}}, r"config key hardwre: unknown key"),
    ({"hardware__rows": "8"}, r"config key hardware\.rows: '8' is not of type 'integer'"),
    ({"hardware__psum_bits": 1}, r"config key hardware\.psum_bits: 1 is less than the minimum of 2"),
    ({"export__dataflows": ["ws", "xs"]}, r"config key export\.dataflows\[1\]: 'xs' is not one of"),
    ({"train__recipe": "turbo"}, r"config key train\.recipe: 'turbo' is not one of train\.recipes"),
    ({"export__layers": [27, 26]}, r"config key export\.layers\[1\]: layer 26 is not a QuantConv2d"),
    ({"data__source": "archive"}, r"config key data\.archive: must name the archive"),
    ({"train__recipes__seed__lr": -1}, r"config key train\.recipes\.seed\.lr: -1 is less than or equal to"),
    ({"train__recipes__fast__float_warmup_epochs": 40},
     r"config key train\.recipes\.fast\.float_warmup_epochs: must be below epochs \(40\)"),
    ({"train__recipes__seed__cuda_graph": True}, r"config key train\.recipes\.seed\.cuda_graph: needs loader 'device'"),
    ({"train__recipes__seed__alpha_init": "mse"},
     r"config key train\.recipes\.seed\.alpha_init: 'mse' needs float_warmup_epochs > 0"),
    ({"train__recipes__seed__alpha_init": "percentile"},
     r"config key train\.recipes\.seed\.alpha_init: 'percentile' is not one of \['seed', 'mse'\]"),
    ({"train__recipes__fast__fused_quant": "yes"},
     r"config key train\.recipes\.fast\.fused_quant: 'yes' is not of type 'boolean'"),
])
def test_bad_values_are_rejected_naming_the_key(change, message):
    with pytest.raises(ConfigError, match=message):
        validated(**change)


def test_all_errors_are_reported_at_once():
    with pytest.raises(ConfigError) as error:
        validated(train__epoch=3, hardware__rows=0)
    assert "train.epoch" in str(error.value) and "hardware.rows" in str(error.value)


def test_schema_defaults_fill_missing_keys():
    config = {"train": {"recipes": {"seed": {"epochs": 1, "batch_size": 2, "lr": 0.1, "momentum": 0.9,
                                             "weight_decay": 0}}}}
    validate_config(config, SCHEMA)
    assert config["hardware"] == {"rows": 8, "cols": 8, "psum_bits": 16}
    assert config["export"]["layers"] == [27] and config["train"]["recipe"] == "seed"
    assert config["train"]["recipes"]["seed"]["loader"] == "dataloader"
