"""Shards into one dataflow's predictions and summary; both dataflows into the report's tables.

Results carry no wall-clock figures (those go to timing.json), so they are byte-identical however
the images were sharded.
"""
from __future__ import annotations

import json
from pathlib import Path

from .checks import LevelDifference
from .widths import LayerRange, combine_ranges

PATHS = ("rtl", "integer", "float", "integer_only")  # predictions.tsv's columns, in this order
ENERGY_PARTS = ("compute", "sram", "dram", "total")  # qaccel.hw.energy.split_uj's keys


def _read(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def _percent(count: int, total: int) -> float:
    return round(100.0 * count / total, 4)


def _same_per_shard(shards: list[dict], layer_position: int, key: str):
    values = {shard["layers"][layer_position][key] for shard in shards}
    if len(values) != 1:
        layer = shards[0]["layers"][layer_position]["layer"]
        raise ValueError(f"layer {layer}: shards report different {key}: {sorted(values, key=str)}")
    return values.pop()


def merge_shards(shard_paths: list, timing_paths: list) -> tuple[dict, dict]:
    """The dataflow's summary (with every image's row) and its timing, from shards in image order."""
    shards = sorted((_read(path) for path in shard_paths), key=lambda shard: shard["first"])
    for before, after in zip(shards, shards[1:]):
        if after["first"] != before["last"] + 1:
            raise ValueError(f"shards images{before['first']}-{before['last']} and images{after['first']}-"
                             f"{after['last']} are not consecutive")
    if len({(shard["dataflow"], shard["backend"]) for shard in shards}) != 1:
        raise ValueError("shards of different dataflows or backends cannot be merged")
    rows = [row for shard in shards for row in shard["images"]]
    count = len(rows)
    correct = {path: sum(row[path] == row["label"] for row in rows) for path in PATHS}
    disagreements = [
        {key: row[key] for key in ("image", "label", "rtl", "integer", "float", "level_difference", "float_logit_gap")}
        for row in rows if row["integer"] != row["float"]
    ]
    ranges = combine_ranges([[LayerRange.from_dict(layer) for layer in shard["layers"]] for shard in shards])
    layers = []
    for position, layer_range in enumerate(ranges):
        key = str(layer_range.layer)
        core = [row["cycles"][key] for row in rows if key in row["cycles"]]
        energy = [row["energy_uj"][key] for row in rows if key in row["energy_uj"]]
        layers.append({**layer_range.as_dict(),
                       "core_cycles_per_image": sum(core) / len(core) if core else None,
                       "model_cycles": _same_per_shard(shards, position, "model_cycles"),
                       "ideal_cycles": _same_per_shard(shards, position, "ideal_cycles"),
                       "dma_stall_cycles": _same_per_shard(shards, position, "dma_stall_cycles"),
                       "dram_bytes": _same_per_shard(shards, position, "dram_bytes"),
                       **{f"energy_{part}_uj": sum(e[part] for e in energy) / len(energy) if energy else None
                          for part in ENERGY_PARTS}})

    def per_image_total(key: str):
        values = [layer[key] for layer in layers]
        return None if None in values else sum(values)

    summary = {
        "dataflow": shards[0]["dataflow"],
        "backend": shards[0]["backend"],
        "images": {"first": shards[0]["first"], "last": shards[-1]["last"], "count": count},
        "correct": correct,
        "accuracy_percent": {path: _percent(correct[path], count) for path in PATHS},
        "agreement": {"rtl_integer": sum(row["rtl"] == row["integer"] for row in rows),
                      "rtl_float": sum(row["rtl"] == row["float"] for row in rows),
                      "integer_float": count - len(disagreements),
                      "integer_only_float": sum(row["integer_only"] == row["float"] for row in rows),
                      "integer_only_integer": sum(row["integer_only"] == row["integer"] for row in rows)},
        "float_disagreements": disagreements,
        "images_with_level_differences": sum(row["level_difference"] is not None for row in rows),
        "cycles_per_image": {"core": per_image_total("core_cycles_per_image"), "model": per_image_total("model_cycles"),
                             "ideal": per_image_total("ideal_cycles"), "dma_stalls": per_image_total("dma_stall_cycles")},
        "dram_bytes_per_image": per_image_total("dram_bytes"),
        "energy_uj_per_image": {part: per_image_total(f"energy_{part}_uj") for part in ENERGY_PARTS},
        "layers": layers,
        "predictions": rows,
    }
    timings = sorted((_read(path) for path in timing_paths), key=lambda timing: timing["first"])
    seconds = {key: sum(t["seconds"][key] for t in timings) for key in timings[0]["seconds"]}
    total = seconds["integer"] + seconds["integer_only"] + seconds["widths"] + seconds["float"] + seconds["rtl"]
    timing = {"dataflow": summary["dataflow"], "images": count, "seconds": seconds,
              "rtl_seconds_per_image": seconds["rtl"] / count,
              "backend_share": seconds["rtl_backend"] / total,
              "simulator_share": seconds["rtl_simulator"] / total,
              "shards": timings}
    return summary, timing


def write_predictions(summary: dict, path: str | Path) -> None:
    """One line per image: label, the class of each path (the integer-only path's beside the float model's), core cycles (total and per layer), and where the
    float model's quantised levels first differ from the integer path's."""
    layers = [layer["layer"] for layer in summary["layers"]]
    header = ["image", "label", *PATHS, "cycles", *(f"layer{layer}_cycles" for layer in layers),
              "first_level_difference"]
    lines = ["\t".join(header)]
    for row in summary["predictions"]:
        cycles = [row["cycles"].get(str(layer), "") for layer in layers]
        difference = row["level_difference"]
        lines.append("\t".join(str(value) for value in (
            row["image"], row["label"], *(row[path] for path in PATHS),
            sum(cycles) if row["cycles"] else "", *cycles,
            "" if difference is None else LevelDifference(**difference).describe())))
    Path(path).write_text("\n".join(lines) + "\n")


def explain(disagreement: dict) -> str:
    """Why the float model's class differs from the integer path's, in one line."""
    difference = disagreement["level_difference"]
    where = ("no quantised level differs" if difference is None
             else f"first at {LevelDifference(**difference).describe()}")
    return (f"image {disagreement['image']}: float {disagreement['float']}, integer {disagreement['integer']} "
            f"(float logits {disagreement['float_logit_gap']:.3g} apart): {where}")


ACCURACY_COLUMNS = ("dataflow", "backend", "images", "rtl_accuracy", "integer_accuracy", "float_accuracy",
                    "rtl_float_agreement", "float_disagreements", "core_cycles_per_image", "model_cycles_per_image",
                    "ideal_cycles_per_image", "integer_only_accuracy", "integer_only_float_agreement",
                    "energy_uj_per_image")
LAYER_COLUMNS = ("dataflow", "layer", "in_channels", "out_channels", "height", "width", "act_signed", "act_min",
                 "act_max", "act_bits", "psum_bound", "psum_bits", "core_cycles_per_image", "model_cycles",
                 "ideal_cycles", "dma_stall_cycles", "dram_bytes", *(f"energy_{part}_uj" for part in ENERGY_PARTS))


def _cell(value) -> str:
    return "" if value is None else str(value)


def report_tables(summary_paths: list, accuracy_path: str | Path, layers_path: str | Path) -> None:
    """Accuracy of each path side by side, one line per dataflow; and every layer's widths and cycles."""
    accuracy, layers = ["\t".join(ACCURACY_COLUMNS)], ["\t".join(LAYER_COLUMNS)]
    for summary in map(_read, summary_paths):
        cycles, percent = summary["cycles_per_image"], summary["accuracy_percent"]
        accuracy.append("\t".join(_cell(value) for value in (
            summary["dataflow"], summary["backend"], summary["images"]["count"], percent["rtl"], percent["integer"],
            percent["float"], summary["agreement"]["rtl_float"], len(summary["float_disagreements"]),
            cycles["core"], cycles["model"], cycles["ideal"], percent["integer_only"],
            summary["agreement"]["integer_only_float"], summary["energy_uj_per_image"]["total"])))
        layers += ["\t".join(_cell(summary["dataflow"] if column == "dataflow" else layer[column])
                             for column in LAYER_COLUMNS) for layer in summary["layers"]]
    Path(accuracy_path).write_text("\n".join(accuracy) + "\n")
    Path(layers_path).write_text("\n".join(layers) + "\n")
