"""The report's figures (matplotlib, written as PNG): training, per-layer integers, RTL results, the
whole network's accuracy and energy, jobs.

Each function takes plain data (what the stages wrote, already read) and a path; the rule scripts
under scripts/*_figures.py read the files. Nothing here reads a file or knows a Snakemake rule.
"""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

from qaccel.export.vectors import bits_needed, field_range  # noqa: E402

PASS_COLOUR, FAIL_COLOUR, MISSING_COLOUR = "#4caf50", "#e53935", "#bdbdbd"
TRAIN_COLOUR, TEST_COLOUR = "#1f77b4", "#ff7f0e"
DPI = 110


def _save(figure, path: Path) -> None:
    figure.savefig(path, dpi=DPI, metadata={"Software": None})  # no version stamp: same data, same bytes
    plt.close(figure)


def training_curves(epochs: list[dict], final_test_acc: float, path: Path) -> None:
    """Loss and accuracy, train and test, against epoch (top) and against wall-clock seconds (bottom)."""
    figure, axes = plt.subplots(2, 2, figsize=(10, 7), constrained_layout=True)
    x_by_row = (("epoch", [e["epoch"] for e in epochs]),
                ("seconds since training began", [e["elapsed_seconds"] for e in epochs]))
    float_epochs = [e["epoch"] for e in epochs if not e["quantized"]]
    for row, (label, x) in enumerate(x_by_row):
        loss, accuracy = axes[row]
        loss.plot(x, [e["train_loss"] for e in epochs], "o-", color=TRAIN_COLOUR, label="train")
        loss.plot(x, [e["test_loss"] for e in epochs], "s-", color=TEST_COLOUR, label="test")
        accuracy.plot(x, [e["train_acc"] for e in epochs], "o-", color=TRAIN_COLOUR, label="train")
        accuracy.plot(x, [e["test_acc"] for e in epochs], "s-", color=TEST_COLOUR, label="test")
        loss.set(xlabel=label, ylabel="cross-entropy loss")
        accuracy.set(xlabel=label, ylabel="accuracy (%)")
        if row == 0:
            for axis in (loss, accuracy):
                axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        if float_epochs:  # the full-precision warm-up, before the quantizers are switched on
            for axis in (loss, accuracy):
                axis.axvspan(0, x[len(float_epochs) - 1], color="0.9", zorder=0, label="float warm-up")
        for axis in (loss, accuracy):
            axis.grid(alpha=0.3)
            axis.legend()
    for axis in (axes[0][1], axes[1][1]):
        axis.axhline(final_test_acc, color=TEST_COLOUR, ls=":", lw=1, label="final, as exported")
        axis.legend()
    figure.suptitle(f"Training: {len(epochs)} epochs, {epochs[-1]['steps']} steps; final test accuracy "
                    f"{final_test_acc:.2f}% (quantised, fp32)")
    _save(figure, path)


def alphas(layers: list[int], act_alpha: list[float], wgt_alpha: list[float], exported: list[int], path: Path) -> None:
    """The learnt quantizer scales per conv layer: the activation clip level and the weight scale; the
    exported layers are outlined."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    positions = np.arange(len(layers))
    outline = ["black" if layer in exported else "none" for layer in layers]
    for axis, values, title, colour in ((axes[0], act_alpha, "act_alpha: activation clip level", "#6a1b9a"),
                                        (axes[1], wgt_alpha, "wgt_alpha: weight scale", "#00838f")):
        bars = axis.bar(positions, values, color=colour, edgecolor=outline, linewidth=2)
        axis.bar_label(bars, fmt="%.2f", fontsize=8)
        axis.set_xticks(positions, [str(layer) for layer in layers])
        axis.set(xlabel="layer (index in model.features; outlined: exported)", ylabel="value", title=title)
        axis.grid(axis="y", alpha=0.3)
        axis.margins(y=0.15)
    _save(figure, path)


def _integer_histogram(axis, values: np.ndarray, title: str, colour: str) -> None:
    levels, counts = np.unique(values, return_counts=True)
    axis.bar(levels, counts, width=0.8, color=colour)
    axis.set(xlabel="integer", ylabel="count", title=f"{title}: {values.size} values in [{levels[0]}, {levels[-1]}]")
    axis.grid(axis="y", alpha=0.3)


def layer_figure(layer: int, act_int: np.ndarray, weight_int: np.ndarray, abs_error: np.ndarray,
                 max_recovered_error: float, value_ranges: list[dict], path: Path) -> None:
    """One exported layer: its activation and weight integers, the error of the output recovered from
    them, and the range of the partial sums and outputs against their field width.

    ``value_ranges``: one dict per series (label, low, high, bits) of signed values written to files.
    """
    figure, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    _integer_histogram(axes[0][0], act_int, "act_int (exported image)", "#6a1b9a")
    _integer_histogram(axes[0][1], weight_int, "weight_int", "#00838f")

    error = axes[1][0]
    positive = abs_error[abs_error > 0]
    mean = float(abs_error.mean())
    if positive.size:
        bins = np.logspace(math.log10(positive.min()), math.log10(max(positive.max(), max_recovered_error)), 40)
        error.hist(positive, bins=bins, color="#546e7a")
        error.set_xscale("log")
    error.axvline(mean, color="k", ls="-", label=f"mean {mean:.2e}")
    error.axvline(max_recovered_error, color=FAIL_COLOUR, ls="--", label=f"limit on the mean {max_recovered_error:g}")
    error.set(xlabel="|recovered - captured| per output value", ylabel="count",
              title=f"recovered output error ({abs_error.size} values, {abs_error.size - positive.size} exact)")
    error.legend(loc="upper left", fontsize=8)

    fields = axes[1][1]
    labels = []
    for row, series in enumerate(value_ranges):
        low, high = field_range(series["bits"], signed=True)
        fields.barh(row, high - low, left=low, height=0.6, color="0.88", edgecolor="0.6")
        fields.barh(row, series["high"] - series["low"], left=series["low"], height=0.35, color="#ef6c00")
        needed = bits_needed(series["low"], series["high"], signed=True)
        labels.append(f"{series['label']}\n[{series['low']}, {series['high']}]\n{needed} of {series['bits']} bits")
    widest = max(series["bits"] for series in value_ranges)
    powers = [10**k for k in range(1, math.ceil(math.log10(2 ** (widest - 1))))]
    fields.set_xscale("symlog", linthresh=10)
    fields.set_xticks([-p for p in reversed(powers)] + [0] + powers, [f"{-p:g}" for p in reversed(powers)] + ["0"]
                      + [f"{p:g}" for p in powers], fontsize=7, rotation=45)
    fields.set_yticks(range(len(value_ranges)), labels, fontsize=8)
    fields.invert_yaxis()
    fields.set(xlabel="value (symlog); grey: the field's range, orange: the values",
               title="partial sums and outputs against their field")
    figure.suptitle(f"layer {layer}")
    _save(figure, path)


def check_cell(outcome: dict | None, counted: tuple[str, str] | None = None) -> tuple[str, str]:
    """One cell of the pass matrix: ('passed' | 'failed' | 'not run', its text). ``outcome`` is a check's
    record (sim.json, tb.json, or the failure record of either); a failure's text says where it failed;
    ``counted``: (key of the record, unit) shown in a passed cell, as ("values_checked", "values")."""
    if outcome is None:
        return "not run", "not run"
    if outcome["passed"]:
        count = outcome.get(counted[0]) if counted else None
        return "passed", "pass" + (f"\n{count:,} {counted[1]}" if count is not None else "")
    return "failed", "FAIL\n" + "\n".join(textwrap.wrap(str(outcome.get("failed_at")), 28)[:3])


CELL_COLOURS = {"passed": PASS_COLOUR, "failed": FAIL_COLOUR, "not run": MISSING_COLOUR}


def rtl_pass_matrix(sims: list[dict], benches: list[dict], bench_name: str, path: Path) -> None:
    """Layer x dataflow, two checks each: the layer bench of rule simulate against every value of the vector
    set (sim.json), and the test bench ``bench_name`` of rule tb (tb.json, with its layer and dataflow
    added); red cells say where the check failed."""
    layers = sorted({outcome["layer"] for outcome in sims})
    dataflows = [d for d in ("ws", "os") if any(outcome["dataflow"] == d for outcome in sims)]
    checks = [("simulate", {(o["layer"], o["dataflow"]): o for o in sims}, ("values_checked", "values")),
              (bench_name, {(o["layer"], o["dataflow"]): o for o in benches}, ("cycles", "cycles"))]
    columns = [(dataflow, check) for dataflow in dataflows for check in checks]
    figure, axis = plt.subplots(figsize=(2.0 + 2.0 * len(columns), 1.4 + 0.9 * len(layers)), constrained_layout=True)
    for y, layer in enumerate(layers):
        for x, (dataflow, (_, outcomes, counted)) in enumerate(columns):
            state, text = check_cell(outcomes.get((layer, dataflow)), counted)
            axis.add_patch(plt.Rectangle((x, y), 1, 1, facecolor=CELL_COLOURS[state], edgecolor="white", lw=2))
            axis.text(x + 0.5, y + 0.5, text, ha="center", va="center", color="white", fontsize=8, weight="bold")
    axis.set_xlim(0, len(columns))
    axis.set_ylim(len(layers), 0)
    axis.set_xticks([x + 0.5 for x in range(len(columns))],
                    [f"{dataflow.upper()}\n{name}" for dataflow, (name, _, _) in columns])
    axis.set_yticks([y + 0.5 for y in range(len(layers))], [f"layer {layer}" for layer in layers])
    axis.tick_params(length=0)
    for side in axis.spines.values():
        side.set_visible(False)
    axis.set_title("RTL against the vectors")
    _save(figure, path)


def rtl_cycles(rows: list[dict], path: Path) -> None:
    """Per layer and dataflow: the core's cycles beside the per-fold model (qaccel/rtl/cycles.py) and the ideal (every MAC unit busy
    every cycle), one linear panel per layer; the utilisation that follows; and the simulator's speed."""
    layers = sorted({row["layer"] for row in rows})
    labels = [f"layer {row['layer']} {row['dataflow'].upper()}" for row in rows]
    positions = np.arange(len(rows))
    figure = plt.figure(figsize=(max(10, 4.5 * len(layers)), 8.5), constrained_layout=True)
    grid = figure.add_gridspec(2, 2 * len(layers))
    width = 0.27
    series = (("rtl_cycles", "RTL core", "#3949ab"), ("model_cycles", "per-fold model", "#8d6e63"),
              ("ideal_cycles", "ideal: MACs / (rows x cols)", "#9e9e9e"))
    for panel, layer in enumerate(layers):
        cycles = figure.add_subplot(grid[0, 2 * panel:2 * panel + 2])
        own = [row for row in rows if row["layer"] == layer]
        places = np.arange(len(own))
        for offset, (key, name, colour) in zip((-width, 0, width), series):
            values = [row[key] if row[key] is not None else 0 for row in own]
            bars = cycles.bar(places + offset, values, width, label=name, color=colour)
            cycles.bar_label(bars, labels=[f"{value:,.0f}" if row[key] is not None else "n/a"
                                           for value, row in zip(values, own)], fontsize=7)
        cycles.set_xticks(places, [row["dataflow"].upper() for row in own])
        cycles.set(ylabel="cycles", title=f"layer {layer}: cycles (linear, from 0)")
        cycles.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        cycles.margins(y=0.25)
        cycles.legend(fontsize=7, loc="upper left")
        cycles.grid(axis="y", alpha=0.3)

    utilisation = figure.add_subplot(grid[1, :len(layers)])
    for offset, key, name, colour in ((-width / 2, "utilisation", "RTL core", "#3949ab"),
                                      (width / 2, "model_utilisation", "per-fold model", "#8d6e63")):
        values = [100 * row[key] if row[key] is not None else 0 for row in rows]
        bars = utilisation.bar(positions + offset, values, width, label=name, color=colour)
        utilisation.bar_label(bars, labels=[f"{value:.1f}%" if row[key] is not None else "n/a"
                                            for value, row in zip(values, rows)], fontsize=7)
    utilisation.set_xticks(positions, labels, fontsize=8)
    utilisation.set(ylabel="% of MAC-unit cycles doing a MAC", title="utilisation = ideal / cycles", ylim=(0, 100))
    utilisation.legend(fontsize=8)

    rate = figure.add_subplot(grid[1, len(layers):])
    values = [row["cycles_per_second"] or 0 for row in rows]
    bars = rate.bar(positions, values, 0.5, color="#00897b")
    rate.bar_label(bars, labels=[(f"{value:,.0f}" if row["cycles_per_second"] else "n/a") + f"\n{row['simulator']}"
                                 for value, row in zip(values, rows)], fontsize=7)
    rate.set_xticks(positions, labels, fontsize=8)
    rate.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    rate.set(ylabel="simulated cycles per second", title="simulation rate (wall clock)")
    rate.margins(y=0.2)
    for axis in (utilisation, rate):
        axis.grid(axis="y", alpha=0.3)
    _save(figure, path)


# The backend's path ("rtl" in the results) is the integer-only path, run by the RTL core (requantizing
# and pooling on its read-out) with network.backend: core, or in software with network.backend: software.
PATH_NAMES = (("float", "float model (PyTorch)", "#8d6e63"), ("integer", "integer path (software)", "#00838f"),
              ("integer_only", "integer-only path (library)", "#7cb342"),
              ("rtl", "backend's path (named under each dataflow)", "#3949ab"))
BACKEND_PATHS = {"core": "the RTL core", "software": "integer-only, software"}


def network_accuracy(summaries: list[dict], path: Path) -> None:
    """The whole network's accuracy on the same test images, per path (float, integer, integer-only, the
    backend's) and dataflow."""
    figure, axis = plt.subplots(figsize=(4 + 3 * len(summaries), 4.5), constrained_layout=True)
    positions = np.arange(len(summaries))
    width = 0.2
    for offset, (key, name, colour) in zip((-1.5 * width, -0.5 * width, 0.5 * width, 1.5 * width), PATH_NAMES):
        values = [summary["accuracy_percent"][key] for summary in summaries]
        bars = axis.bar(positions + offset, values, width, label=name, color=colour)
        axis.bar_label(bars, labels=[f"{value:.1f}%\n{summary['correct'][key]}/{summary['images']['count']}"
                                     for value, summary in zip(values, summaries)], fontsize=7)
    axis.set_xticks(positions, [f"{summary['dataflow'].upper()}\nbackend {summary['backend']}: "
                                f"{BACKEND_PATHS.get(summary['backend'], summary['backend'])}"
                                for summary in summaries])
    axis.set(ylabel="test images classified correctly (%)", ylim=(0, 128))
    axis.yaxis.set_major_locator(matplotlib.ticker.FixedLocator(range(0, 101, 20)))
    axis.legend(fontsize=8, loc="upper right", ncols=2)
    axis.grid(axis="y", alpha=0.3)
    images = summaries[0]["images"]
    axis.set_title(f"whole network, test images {images['first']}..{images['last']} ({images['count']})")
    _save(figure, path)


ENERGY_PARTS = (("compute", "compute: multiply-adds, accumulator adds, requantization", "#3949ab"),
                ("sram", "on-chip SRAM accesses", "#00897b"),
                ("dram", "DRAM: the DMA's weights and constants, the host's moves", "#8d6e63"))


def network_energy(summaries: list[dict], path: Path) -> None:
    """The core's energy per image, layer by layer, split into compute, SRAM and DRAM; one panel per
    dataflow (a software backend has none: its panel says so)."""
    figure, axes = plt.subplots(1, len(summaries), figsize=(6.5 * len(summaries), 4.8), squeeze=False,
                                sharey=True, constrained_layout=True)
    for axis, summary in zip(axes[0], summaries):
        total = summary["energy_uj_per_image"]["total"]
        title = f"{summary['dataflow'].upper()}, backend {summary['backend']}"
        if total is None:
            axis.text(0.5, 0.5, "no energy: the convs ran in software", ha="center", va="center",
                      transform=axis.transAxes)
            axis.set(title=title, xticks=[])
            continue
        layers = summary["layers"]
        positions = np.arange(len(layers))
        bottom = np.zeros(len(layers))
        for key, name, colour in ENERGY_PARTS:
            values = np.array([layer[f"energy_{key}_uj"] for layer in layers])
            axis.bar(positions, values, 0.7, bottom=bottom, label=name, color=colour)
            bottom += values
        axis.bar_label(axis.containers[-1], labels=[f"{value:.0f}" for value in bottom], fontsize=7)
        axis.set_xticks(positions, [str(layer["layer"]) for layer in layers])
        parts = summary["energy_uj_per_image"]
        axis.set(xlabel="conv layer (index in model.features)",
                 title=f"{title}: {total:,.0f} µJ per image\n(compute {parts['compute']:,.0f}, SRAM "
                       f"{parts['sram']:,.0f}, DRAM {parts['dram']:,.0f})")
        axis.margins(y=0.35)
        axis.grid(axis="y", alpha=0.3)
        axis.legend(fontsize=8, loc="upper left")
    axes[0][0].set_ylabel("µJ per image (Horowitz, ISSCC 2014, 45 nm)")
    _save(figure, path)


def jobs(names: list[str], seconds: list[float], max_rss_mb: list[float], path: Path) -> None:
    """Wall time and peak memory (resident set) of every job, as Snakemake's benchmark files record them."""
    figure, axes = plt.subplots(1, 2, figsize=(12, 0.9 + 0.32 * len(names)), sharey=True, constrained_layout=True)
    positions = np.arange(len(names))
    for axis, values, label, colour, unit in ((axes[0], seconds, "wall time (s)", "#3949ab", "{:.1f} s"),
                                              (axes[1], max_rss_mb, "peak resident memory (MB)", "#00897b",
                                               "{:.0f} MB")):
        known = [0 if math.isnan(value) else value for value in values]
        bars = axis.barh(positions, known, color=colour)
        axis.bar_label(bars, labels=["n/a" if math.isnan(v) else unit.format(v) for v in values], fontsize=7,
                       padding=2)
        axis.set(xlabel=label)
        axis.grid(axis="x", alpha=0.3)
        axis.margins(x=0.18)
    axes[0].set_yticks(positions, names)
    axes[0].invert_yaxis()
    figure.suptitle(f"{len(names)} jobs, {sum(s for s in seconds if not math.isnan(s)):.0f} s in all")
    _save(figure, path)


DATAFLOW_MARKERS = {"ws": "o", "os": "s"}


def _pareto_panel(axis, rows: list[dict], cost: str, benefit: str, flag: str, xlabel: str, ylabel: str) -> None:
    """One point per array and dataflow, filled where no other point beats it (the Pareto front, joined
    by a line), hollow where one does; each labelled with its array. Hollow points are drawn larger and
    on top: where an array's two dataflows meet, the dominated one rings the other."""
    for dataflow, marker in DATAFLOW_MARKERS.items():
        for best in (True, False):
            chosen = [row for row in rows if row["dataflow"] == dataflow and bool(row[flag]) == best]
            if chosen:
                axis.scatter([row[cost] for row in chosen], [row[benefit] for row in chosen], marker=marker,
                             s=60 if best else 150, zorder=2 if best else 3,
                             facecolors="#1e88e5" if best else "none", edgecolors="#1e88e5",
                             label=f"{dataflow.upper()}, " + ("Pareto front" if best else "dominated"))
    front = sorted((row[cost], row[benefit]) for row in rows if row[flag])
    if front:
        axis.plot(*zip(*front), color="#1e88e5", alpha=0.4, zorder=0)
    for row in rows:  # WS labels above their point, OS labels below: an array's two points often meet
        axis.annotate(f"{row['rows']}x{row['cols']}", (row[cost], row[benefit]), textcoords="offset points",
                      xytext=(5, 4) if row["dataflow"] == "ws" else (5, -11), fontsize=8)
    axis.set(xscale="log", xlabel=xlabel, ylabel=ylabel)
    # Ticks at 1, 2 and 5 of each decade, labelled 200k, 1M: matplotlib's own minor labels
    # (3x10^5, 4x10^5, ...) run into each other.
    axis.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))
    axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axis.margins(x=0.1)  # room for the rightmost point's label inside the frame
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)


def dse_speed(rows: list[dict], path: Path) -> None:
    """Speed against area: images per million cycles against NAND2 equivalents (every point), and
    images/s against ECP5 LUT4s (the points placed and routed; the panel names those that do not fit)."""
    figure, axes = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
    _pareto_panel(axes[0], rows, "nand2_equivalents", "images_per_mcycle", "pareto_mcycle_gates",
                  "area: NAND2 equivalents (Yosys generic mapping, memories not counted)",
                  "images per million cycles (whole network, RTL)")
    axes[0].set_title("speed per cycle against gates")
    placed = [row for row in rows if row["images_per_s"] is not None]
    if placed:
        _pareto_panel(axes[1], placed, "lut4", "images_per_s", "pareto_speed_luts", "ECP5 LUT4s",
                      "images/s at the placed core's fmax")
    axes[1].set_title("images/s against LUTs (placed and routed)")
    refused = sorted({(row["rows"], row["cols"]) for row in rows if not row["fits"]})
    if refused:
        axes[1].text(0.5, 0.02 if placed else 0.5,
                     "does not fit the part: " + ", ".join(f"{rows}x{cols}" for rows, cols in refused),
                     ha="center", va="bottom" if placed else "center", transform=axes[1].transAxes, fontsize=9,
                     wrap=True)
    _save(figure, path)


def dse_energy(rows: list[dict], path: Path) -> None:
    """Energy per image against area, every array and dataflow, the Pareto front filled."""
    figure, axis = plt.subplots(figsize=(7, 5), constrained_layout=True)
    _pareto_panel(axis, rows, "nand2_equivalents", "energy_uj_per_image", "pareto_energy_gates",
                  "area: NAND2 equivalents (Yosys generic mapping, memories not counted)",
                  "µJ per image (Horowitz, ISSCC 2014, 45 nm)")
    axis.set_title("energy per image against gates (lower is better)")
    _save(figure, path)


def memory_bound(rows: list[dict], path: Path) -> None:
    """One panel per dataflow: the image's core cycles at each DRAM bandwidth (bytes per cycle), beside
    the compute-only cycles (no tile waiting for the DMA) and the ideal (MACs / (rows x cols)); each
    point labelled with its cycles waiting for the DMA."""
    from qaccel.network.bandwidth import totals

    dataflows = sorted({row["dataflow"] for row in rows}, key=["ws", "os"].index)
    figure, axes = plt.subplots(1, len(dataflows), figsize=(6.5 * len(dataflows), 4.6), squeeze=False,
                                sharey=True, constrained_layout=True)
    for axis, dataflow in zip(axes[0], dataflows):
        sums = totals(rows, dataflow)
        x = sums["bytes_per_cycle"]
        axis.plot(x, sums["cycles"] / 1e6, "o-", color="#3949ab", label="core (RTL): start to done")
        axis.plot(x, sums["compute_cycles"] / 1e6, "--", color="#43a047", label="compute only (no DMA wait)")
        axis.plot(x, sums["ideal_cycles"] / 1e6, ":", color="#757575", label="ideal: MACs / (rows x cols)")
        for bandwidth, cycles, stalls in zip(x, sums["cycles"], sums["dma_stall_cycles"]):
            axis.annotate(f"{stalls:,.0f} waiting", (bandwidth, cycles / 1e6), textcoords="offset points",
                          xytext=(0, 8), ha="center", fontsize=7)
        axis.set_xscale("log", base=2)
        axis.set_xticks(x, [f"{value:g}" for value in x])
        axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        axis.set(xlabel="DRAM bytes per cycle", title=f"{dataflow.upper()}: one image, "
                 f"{sums['dram_bytes'][0] / 1e6:.2f} MB from DRAM")
        axis.set_ylim(0, 1.15 * sums["cycles"].max() / 1e6)
        axis.margins(x=0.12)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="lower right")
    axes[0][0].set_ylabel("million cycles per image")
    _save(figure, path)
