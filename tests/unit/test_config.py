"""Config validation: every error names the config key; the schema is the one source of defaults,
types, ranges and documentation."""
import copy
import hashlib
import json
import re

import numpy as np
import pytest
import yaml
from snakemake.cli import parse_config
from support import REPO, make_archive

from qaccel.data import DatasetError
from qaccel.rtl.build import BLOCK_MUTANTS, MUTANTS
from qaccel.training.train import Recipe, RunSettings
from qaccel.workflow.checks import check_data, check_workflow, counted_archive
from qaccel.workflow.config import (
    ConfigError,
    render_config_yaml,
    retype_command_line,
    validate_config,
)

BASE = yaml.safe_load((REPO / "config.yaml").read_text())


def validated(**changes):
    config = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    validate_config(config)
    check_workflow(config, "no-data-yet.npz")
    return config


def test_the_shipped_config_is_valid():
    validated()


@pytest.mark.parametrize("change,message", [
    ({"train__epoch": 3}, r"config key train\.epoch: unknown key \(allowed: .*max_steps"),
    ({"hardwre": {}}, r"config key hardwre: unknown key"),
    ({"hardware__rows": "8"}, r"config key hardware\.rows: '8' is not of type 'integer'"),
    ({"hardware__rows": 8.0}, r"config key hardware\.rows: 8\.0 is not of type 'integer'"),
    ({"hardware__cols": True}, r"config key hardware\.cols: True is not of type 'integer'"),
    ({"capture__batch_size": 16.0}, r"config key capture\.batch_size: 16\.0 is not of type 'integer'"),
    ({"hardware__psum_bits": 15}, r"config key hardware\.psum_bits: 15 is less than the minimum of 16"),
    ({"hardware__rows": 33}, r"config key hardware\.rows: 33 is greater than the maximum of 32"),
    ({"hardware__act_bits": 9}, r"config key hardware\.act_bits: 9 is greater than the maximum of 8"),
    ({"export__psum_bits": 1}, r"config key export\.psum_bits: 1 is less than the minimum of 2"),
    ({"hardware__rows": 32, "hardware__psum_bits": 16, "quant__w_bits": 8},
     r"config key hardware\.psum_bits: .* psum_bits must be at least act_bits \+ 1 \+ weight_bits \+ log2\(rows\) = "
     r"22, the width of a column of the array's products"),
    ({"hardware__cols": 4}, r"config key hardware\.cols: the network runs on the core as one program per image, .* "
                            r"hardware\.rows is 8, hardware\.cols 4 \(or set network\.backend: software\)"),
    ({"dse__arrays": [{"rows": 4, "cols": 4}, {"rows": 2, "cols": 8}]},
     r"config key dse\.arrays\[1\]: the sweep runs the network on each array as one program per image, which needs "
     r"a square array; got 2 x 8"),
    ({"export__dataflows": ["ws", "xs"]}, r"config key export\.dataflows\[1\]: 'xs' is not one of"),
    ({"train__recipe": "turbo"}, r"config key train\.recipe: 'turbo' is not one of train\.recipes"),
    ({"export__layers": [27, 26]}, r"config key export\.layers\[1\]: layer 26 is not a QuantConv2d: "
                                   r"model\.features\[26\] is a relu; QuantConv2d layers are \[0, 3, 7,"),
    ({"export__layers": [27, 44]}, r"config key export\.layers\[1\]: layer 44 is not a QuantConv2d: "
                                   r"model\.features has only 44 modules"),
    ({"export__layers": [0], "hardware__act_signed": False},
     r"config key export\.layers\[0\]: layer 0's activations are signed \(its input is the normalised image, not a "
     r"ReLU output\) and the core's activation lanes are unsigned \(hardware\.act_signed: false\)"),
    ({"export__layers": [27], "hardware__act_bits": 4},
     r"config key export\.layers\[0\]: layer 27's 4-bit activations \(quant\.a_bits\) need 5-bit signed lanes; the "
     r"core has 4 \(hardware\.act_bits\)"),
    ({"data__source": "archive"}, r"config key data\.archive: must name the archive"),
    ({"train__recipes__seed__lr": -1}, r"config key train\.recipes\.seed\.lr: -1 is less than or equal to"),
    ({"train__recipes__fast__float_warmup_epochs": 40},
     r"config key train\.recipes\.fast\.float_warmup_epochs: must be below epochs \(40\)"),
    ({"train__recipes__seed__cuda_graph": True}, r"config key train\.recipes\.seed\.cuda_graph: needs loader 'device'"),
    ({"network__first": 9999, "network__count": 2},
     r"config key network\.count: images 9999\.\.10000 go beyond the test split of torchvision's CIFAR-10, which "
     r"holds 10000 images \(indices 0\.\.9999\)"),
    ({"network__first": 10000}, r"config key network\.first: 10000 is greater than the maximum of 9999"),
    ({"network__shard": 0}, r"config key network\.shard: 0 is less than the minimum of 1"),
    ({"network__backend": "fpga"}, r"config key network\.backend: 'fpga' is not one of \['core', 'software'\]"),
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
                                             "weight_decay": 0, "milestones": []}}}}
    validate_config(config)
    assert config["hardware"] == {"rows": 8, "cols": 8, "act_bits": 8, "act_signed": True, "psum_bits": 32,
                                  "dram_latency": 100, "dram_bytes_per_cycle": 16}
    assert config["export"]["layers"] == [27] and config["train"]["recipe"] == "auto"
    assert config["train"]["recipes"]["seed"]["loader"] == "dataloader"
    assert config["train"]["recipes"]["seed"]["schedule"] == "step" and config["train"]["threads"] == 2
    assert config["train"]["recipes"]["fast"] == BASE["train"]["recipes"]["fast"]  # an unnamed recipe keeps its default


def test_a_step_recipe_without_milestones_is_refused_not_given_a_default():
    """The seed recipe's default names milestones; a config that defines the recipe anew must too."""
    config = {"train": {"recipes": {"seed": {"epochs": 1, "batch_size": 2, "lr": 0.1, "momentum": 0.9,
                                             "weight_decay": 0}}}}
    with pytest.raises(ConfigError, match=r"config key train\.recipes\.seed\.milestones: missing \(schedule step "
                                          r"\(the default\) needs milestones"):
        validate_config(config)
    config["train"]["recipes"]["seed"].update(schedule="onecycle")
    validate_config(config)


def test_config_yaml_is_the_schema_rendered():
    """config.yaml documents every key: it must be what the schema generates (python -m qaccel.workflow.config --write)."""
    assert (REPO / "config.yaml").read_text() == render_config_yaml()


def test_the_mutants_offered_are_those_planted_in_the_rtl():
    """sim.mutant's choices are qaccel.rtl.build.MUTANTS, the macros in rtl/*.v; BLOCK_MUTANTS (those
    their block's own bench catches too) are among them."""
    schema = yaml.safe_load((REPO / "qaccel" / "workflow" / "config.schema.yaml").read_text())
    offered = [choice for choice in schema["properties"]["sim"]["properties"]["mutant"]["enum"] if choice]
    planted = set(re.findall(r"`ifn?def (MUTANT_\w+)", "".join(p.read_text() for p in (REPO / "rtl").glob("*.v"))))
    assert offered == list(MUTANTS)
    assert set(offered) == planted
    assert set(BLOCK_MUTANTS) < planted


def test_an_empty_config_is_config_yaml():
    config = {}
    validate_config(config)
    assert config == BASE


def test_the_codes_defaults_are_config_yaml():
    train, data, quant = BASE["train"], BASE["data"], BASE["quant"]
    settings = RunSettings()
    assert (settings.device, settings.seed, settings.threads, settings.train_subset, settings.test_subset,
            settings.max_steps, settings.log_every, settings.deterministic) == (
        train["device"], train["seed"], train["threads"], train["train_subset"], train["test_subset"],
        train["max_steps"], train["log_every"], train["deterministic"])
    assert (list(settings.mean), list(settings.std), settings.w_bits, settings.a_bits) == (
        data["mean"], data["std"], quant["w_bits"], quant["a_bits"])
    # Recipe keys a recipe leaves out take the schema's recipe defaults, which config.yaml shows filled in.
    defaults = Recipe(epochs=1, batch_size=1, lr=1.0, momentum=0.0, weight_decay=0.0)
    seed, fast = BASE["train"]["recipes"]["seed"], BASE["train"]["recipes"]["fast"]
    assert (defaults.gamma, defaults.num_workers, defaults.compile) == (fast["gamma"], fast["num_workers"],
                                                                        fast["compile"])
    assert defaults.milestones == () and "milestones" not in fast  # no default: a step schedule names them
    assert (defaults.nesterov, defaults.warmup_epochs, defaults.label_smoothing, defaults.channels_last,
            defaults.cuda_graph, defaults.float_warmup_epochs) == (
        seed["nesterov"], seed["warmup_epochs"], seed["label_smoothing"], seed["channels_last"], seed["cuda_graph"],
        seed["float_warmup_epochs"])


@pytest.mark.parametrize("argument,key,value", [
    ("hardware={rows: 16}", ("hardware", "rows"), 16),
    ("integerize={max_recovered_error: 0.01}", ("integerize", "max_recovered_error"), 0.01),
    ("export={layers: [27, 29], dataflows: [os]}", ("export", "layers"), [27, 29]),
    ("train={deterministic: false, max_steps: null}", ("train", "deterministic"), False),
    ("data={archive: /data/cifar10.tar.gz}", ("data", "archive"), "/data/cifar10.tar.gz"),
])
def test_nested_command_line_values_are_typed_as_in_a_config_file(argument, key, value):
    """Snakemake's own --config parser reads nested values as strings; config.yaml documents
    --config 'hardware={rows: 16}'."""
    command_line = parse_config([argument])
    config = copy.deepcopy(BASE)
    for section, values in command_line.items():
        config[section].update(values)  # as Snakemake merges --config into the config
    retype_command_line(config, command_line)
    validate_config(config)
    assert config[key[0]][key[1]] == value
    assert config["hardware"]["cols"] == 8  # other keys of a named section stay


def test_an_image_beyond_a_built_test_split_is_named(tmp_path):
    data = tmp_path / "cifar10.npz"
    np.savez(data, train_images=np.zeros((4, 32, 32, 3), np.uint8), train_labels=np.zeros(4, np.int64),
             test_images=np.zeros((20, 32, 32, 3), np.uint8), test_labels=np.zeros(20, np.int64))
    check_data(validated(capture__image=19), data)
    with pytest.raises(DatasetError, match=rf"config key capture\.image: 20 is beyond the test split of {data}, "
                                          rf"which holds 20 images \(indices 0\.\.19\)"):
        check_data(validated(capture__image=20), data)


def test_a_missing_archive_is_named_while_the_data_is_not_built(tmp_path):
    config = validated()
    config["data"].update(source="archive", archive=str(tmp_path / "missing.tar.gz"))
    with pytest.raises(ConfigError, match=rf"config key data\.archive: {tmp_path / 'missing.tar.gz'} does not exist"):
        check_data(config, tmp_path / "cifar10.npz")


def test_an_archive_other_than_the_pinned_one_is_refused_naming_both_digests(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the digests' cache lives in the working directory
    archive = make_archive(tmp_path / "small.tar.gz", per_class=1)
    pinned = hashlib.sha256(archive.read_bytes()).hexdigest()
    config = validated()
    config["data"].update(source="archive", archive=str(archive), archive_sha256=pinned.upper())
    check_data(config, tmp_path / "not-built.npz", tmp_path / "counts.json")
    other = make_archive(tmp_path / "other.tar.gz", per_class=2)
    other.replace(archive)
    actual = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(ConfigError, match=rf"config key data\.archive_sha256: {archive} \(data\.archive\) has sha256 "
                                          rf"{actual}, not {pinned.upper()}: restore that archive, or set the key"):
        check_data(config, tmp_path / "built.npz", tmp_path / "counts.json")


def test_the_images_are_checked_against_the_archives_test_split_counted_once(tmp_path):
    archive = make_archive(tmp_path / "small.tar.gz", per_class=2)  # 20 test images
    counts = tmp_path / "counts.json"
    config = validated(network__first=16, network__count=4, capture__image=19)
    config["data"].update(source="archive", archive=str(archive))
    check_data(config, tmp_path / "not-built.npz", counts)
    stat = archive.stat()
    assert json.loads(counts.read_text()) == {f"{archive.resolve()} {stat.st_size} {stat.st_mtime_ns}": 20}
    config["network"]["count"] = 5
    with pytest.raises(ConfigError, match=rf"config key network\.count: images 16\.\.20 go beyond the test split of "
                                          rf"{archive}, which holds 20 images \(indices 0\.\.19\)"):
        check_data(config, tmp_path / "not-built.npz", counts)
    config["network"]["count"], config["capture"]["image"] = 4, 20
    with pytest.raises(DatasetError, match=rf"config key capture\.image: 20 is beyond the test split of {archive}"):
        check_data(config, tmp_path / "not-built.npz", counts)
    # the count is read back, not counted again: a planted count shows through
    counts.write_text(counts.read_text().replace(": 20", ": 30"))
    assert counted_archive(archive, counts) == 30
