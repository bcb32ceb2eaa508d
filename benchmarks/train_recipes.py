"""Train recipes on the same machine, in one run, and compare them; optionally fit one recipe to
wall-time budgets.

Per recipe it prints: seconds per training epoch (the first, which holds any compilation or graph
capture, and the median of the rest), the wall time until the test accuracy first reaches the
target (default 90%), the final test accuracy, the wall time to the final checkpoint, the
accuracy on its curve at each mark (default 60/120/300 s; "-" past the end of a run stopped early),
and whether the checkpoint passes the pipeline's integer checks for the configured export layers.
Wall time counts from the start of training: loading the cached dataset, compilation, capture and
per-epoch evaluation included (each run compiles anew, as a new process would, with Inductor's
on-disk cache as the runs before left it). Then the ratios of each recipe to the first.

``--budgets 60 120`` then retrains the last recipe (``--budgets fast=60,120 fast-plain=60``: the
named ones) with as many epochs as fit each budget, estimated from its measured run (schedule
warm-ups scaled alike), and reports the final accuracy and the wall time it really took.
``--markdown FILE`` also writes the table in Markdown, with the device and the date, for the README.
``--time-limit 500`` starts no budget run that would end more than 500 s after the benchmark began.

    python benchmarks/train_recipes.py --data resources/cifar10.npz --config config.yaml
    python benchmarks/train_recipes.py --data ... --max-epochs seed=5 --budgets 60 120

``--max-epochs seed=5`` stops a recipe after its first epochs (its schedule unchanged), for a
baseline too slow to finish on the machine at hand. ``--variant fast-eager=fast:cuda_graph=false``
adds a recipe that differs from a configured one in the keys given (values in YAML syntax).
``--repeat-check fast`` trains that recipe twice for two epochs with the same seed and says
whether the two checkpoints are bit-identical.

On a machine without CUDA it smoke-tests on a small subset, with CUDA graphs off.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

import torch
import yaml

from qaccel import data as cifar
from qaccel.export.capture import capture_batch, capture_layer
from qaccel.export.integerize import IntegerCheckError, integerize
from qaccel.model.checkpoint import load_model
from qaccel.training.train import Recipe, RunSettings, train
from qaccel.workflow.config import load_config_files, training_settings

REPO = Path(__file__).resolve().parent.parent


def epoch_limits(values: list[str], recipes: list[str]) -> dict[str, int]:
    """``["5"]`` limits every recipe; ``["seed=5", "fast=60"]`` limits them by name."""
    overrides = {}
    for value in values:
        name, _, count = value.rpartition("=")
        for target in ([name] if name else recipes):
            if target not in recipes:
                raise SystemExit(f"--max-epochs {value}: {target!r} is not one of --recipes {recipes}")
            overrides[target] = int(count)
    return overrides


def budget_list(values: list[str], recipes: list[str]) -> list[tuple[str, float]]:
    """``["60", "120"]`` fits the last recipe; ``["fast=60,120", "fast-plain=60"]`` the named ones."""
    budgets = []
    for value in values:
        name, _, seconds = value.rpartition("=")
        name = name or recipes[-1]
        if name not in recipes:
            raise SystemExit(f"--budgets {value}: {name!r} is not one of --recipes {recipes} (a budget is fitted "
                             f"to a measured run)")
        budgets += [(name, float(budget)) for budget in seconds.split(",")]
    return budgets


def add_variants(recipes: dict, specs: list[str]) -> None:
    """``NAME=BASE:key=value,key=value``: a copy of recipe BASE with those keys changed."""
    allowed = {f.name for f in fields(Recipe)}
    for spec in specs:
        name, _, rest = spec.partition("=")
        base, _, changes = rest.partition(":")
        if not name or base not in recipes:
            raise SystemExit(f"--variant {spec}: expected NAME=BASE:key=value,... with BASE in {sorted(recipes)}")
        recipe = dict(recipes[base])
        for change in filter(None, changes.split(",")):
            key, _, value = change.partition("=")
            if key not in allowed:
                raise SystemExit(f"--variant {spec}: {key!r} is not a recipe key ({', '.join(sorted(allowed))})")
            recipe[key] = yaml.safe_load(value)
        recipes[name] = recipe


def integer_check(model_path: Path, images: torch.Tensor, config: dict) -> dict:
    """The pipeline's capture + integerize on the checkpoint, for every configured export layer."""
    model = load_model(model_path)
    errors = {}
    for layer in config["export"]["layers"]:
        try:
            report = integerize(capture_layer(model, images, layer), image=0,
                                integer_tolerance=config["integerize"]["integer_tolerance"],
                                max_recovered_error=config["integerize"]["max_recovered_error"])["report"]
            errors[layer] = report["recovered_mean_abs_error"]
        except IntegerCheckError as error:
            errors[layer] = f"FAILED: {error}"
    return errors


def repeat_check(first_path: Path, second_path: Path) -> str:
    """Compare two checkpoints of the same seeded run bit for bit."""
    first, second = (torch.load(path, weights_only=True)["state_dict"] for path in (first_path, second_path))
    differing = [key for key in first if not torch.equal(first[key], second[key])]
    if not differing:
        return f"bit-identical ({len(first)} tensors)"
    worst = max(differing, key=lambda k: (first[k].double() - second[k].double()).abs().max().item())
    return (f"DIFFERENT in {len(differing)} of {len(first)} tensors (largest difference in {worst}: "
            f"{(first[worst].double() - second[worst].double()).abs().max().item():.3e})")


def summarise(name: str, metrics: dict, target: float, marks: list[float]) -> dict:
    epochs = metrics["epochs"]
    reached = next((m["elapsed_seconds"] for m in epochs if m["test_acc"] >= target), None)

    def steady_median(key: str) -> float:
        """Median over the epochs after the first (which holds capture or compilation), if any."""
        return statistics.median([m[key] for m in epochs[1:]] or [epochs[0][key]])

    stopped_early = epochs[-1]["epoch"] < metrics["recipe"]["epochs"]
    at_marks = {}
    for mark in marks:
        before = [m["test_acc"] for m in epochs if m["elapsed_seconds"] <= mark]
        past_the_end = stopped_early and mark > epochs[-1]["elapsed_seconds"]
        at_marks[mark] = before[-1] if before and not past_the_end else None
    return {"recipe": name, "epochs": len(epochs), "first_epoch_seconds": epochs[0]["train_seconds"],
            "seconds_per_epoch": steady_median("train_seconds"), "epoch_seconds_with_eval": steady_median("seconds"),
            "seconds_to_target": reached, "final_test_acc": metrics["final_test_acc"],
            "total_seconds": metrics["total_seconds"], "accuracy_at_marks": at_marks,
            "curve": [(m["steps"], round(m["elapsed_seconds"], 2), round(m["test_acc"], 2)) for m in epochs]}


def epochs_for_budget(measured: dict, budget: float) -> int:
    """Epochs of the measured recipe that fit ``budget`` seconds of wall time. What its run spent beyond
    its steady epochs (loading, compilation, graph captures, the switch to quantization, the final
    evaluation) counts as a fixed cost."""
    per_epoch = measured["epoch_seconds_with_eval"]
    fixed = measured["total_seconds"] - measured["epochs"] * per_epoch
    return max(1, math.floor((budget - fixed) / per_epoch))


def scaled(recipe: Recipe, epochs: int) -> Recipe:
    """The recipe's schedule stretched to ``epochs``; a float warm-up keeps at least one epoch, and one
    quantised epoch follows it (a budget too small for both is overrun, and the table says so)."""
    if recipe.float_warmup_epochs:
        epochs = max(epochs, 2)
    factor = epochs / recipe.epochs
    float_warmup = round(recipe.float_warmup_epochs * factor)
    if recipe.float_warmup_epochs:
        float_warmup = min(max(float_warmup, 1), epochs - 1)
    return replace(recipe, epochs=epochs, warmup_epochs=recipe.warmup_epochs * factor,
                   milestones=tuple(round(m * factor) for m in recipe.milestones), float_warmup_epochs=float_warmup)


def fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def ratio_lines(rows: list[dict], target: float) -> list[str]:
    """Each run against the first: seconds per epoch, final accuracy, time to the target."""
    base = rows[0]
    lines = []
    for other in rows[1:]:
        line = (f"ratio {other['recipe']}/{base['recipe']}: s/epoch x{other['seconds_per_epoch'] / base['seconds_per_epoch']:.3f}, "
                f"final accuracy {other['final_test_acc'] - base['final_test_acc']:+.2f} points")
        if base["seconds_to_target"] and other["seconds_to_target"]:
            line += f", time to {target:g}% x{other['seconds_to_target'] / base['seconds_to_target']:.3f}"
        lines.append(line)
    return lines


def markdown_table(rows: list[dict], target: float, marks: list[float], device_name: str) -> str:
    """The comparison for the README, one row per run."""
    heads = (["recipe", "epochs", "s/epoch", f"s to {target:g}%", "final acc %"] +
             [f"acc @{m:g} s %" for m in marks] + ["total s", "integer check"])
    lines = [f"{device_name}, {time.strftime('%Y-%m-%d')}, torch {torch.__version__}:", "",
             "| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    for r in rows:
        cells = [r["recipe"], str(r["epochs"]), f"{r['seconds_per_epoch']:.2f}", fmt(r["seconds_to_target"], ".1f"),
                 f"{r['final_test_acc']:.2f}", *(fmt(r["accuracy_at_marks"][m], ".2f") for m in marks),
                 f"{r['total_seconds']:.1f}", integer_verdict(r)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def integer_verdict(result: dict) -> str:
    return "pass" if all(not isinstance(v, str) for v in result["integer_check"].values()) else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="canonical CIFAR-10 .npz (rule data's output)")
    parser.add_argument("--config", nargs="+", default=[str(REPO / "config.yaml")], help="config files, merged")
    parser.add_argument("--recipes", nargs="+", default=["seed", "fast"], help="names in train.recipes")
    parser.add_argument("--max-epochs", nargs="+", default=[], metavar="[RECIPE=]N",
                        help="stop after N epochs of the recipe's schedule")
    parser.add_argument("--variant", nargs="+", default=[], metavar="NAME=BASE:KEY=VALUE,...",
                        help="extra recipes derived from configured ones")
    parser.add_argument("--target", type=float, default=90.0, help="test accuracy (%%) to time")
    parser.add_argument("--marks", type=float, nargs="+", default=[60, 120, 300], help="seconds to read the curves at")
    parser.add_argument("--budgets", nargs="*", default=[], metavar="[RECIPE=]SECONDS[,SECONDS]",
                        help="seconds of wall time to fit (default recipe: the last of --recipes)")
    parser.add_argument("--repeat-check", metavar="RECIPE", help="train RECIPE twice (2 epochs), compare")
    parser.add_argument("--train-subset", type=int, help="default on CPU: 512")
    parser.add_argument("--test-subset", type=int, help="default on CPU: 256")
    parser.add_argument("--max-steps", type=int, help="default on CPU: 8 per run")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="start no budget run that would end later than this after the benchmark began")
    parser.add_argument("--markdown", help="also write the table in Markdown here (and print it)")
    args = parser.parse_args()

    began = time.perf_counter()
    config = load_config_files(args.config)
    add_variants(config["train"]["recipes"], args.variant)
    unknown = [name for name in args.recipes + [args.repeat_check or args.recipes[0]]
               if name not in config["train"]["recipes"]]
    if unknown:
        raise SystemExit(f"recipes {unknown}: not in train.recipes {sorted(config['train']['recipes'])}")
    limits = epoch_limits(args.max_epochs, args.recipes)
    budgets = budget_list(args.budgets, args.recipes)
    settings = RunSettings.from_dict(training_settings(config))
    capture_images, _ = capture_batch(cifar.load(Path(args.data)), config["capture"]["image"],
                                      config["capture"]["batch_size"], config["data"]["mean"], config["data"]["std"])
    on_cpu = not torch.cuda.is_available()
    settings = replace(settings, device="cpu" if on_cpu else "cuda",
                       train_subset=args.train_subset or (512 if on_cpu else settings.train_subset),
                       test_subset=args.test_subset or (256 if on_cpu else settings.test_subset),
                       max_steps=args.max_steps or (8 if on_cpu else settings.max_steps),
                       log_every=10**9)
    device_name = "cpu (smoke test: subsets, CUDA graphs off)" if on_cpu else torch.cuda.get_device_name()
    print(f"device: {device_name}; torch {torch.__version__}; subsets train={settings.train_subset} "
          f"test={settings.test_subset}; max_steps={settings.max_steps}", flush=True)

    def recipe_named(name: str) -> Recipe:
        recipe = Recipe.from_dict(config["train"]["recipes"][name])
        return replace(recipe, cuda_graph=False) if on_cpu else recipe

    def train_into(out: Path, recipe: Recipe, max_epochs: int | None, log) -> Path:
        out.mkdir()
        torch._dynamo.reset()  # each run compiles (fused quantizers, torch.compile) as a new process would
        train(Path(args.data), out / "model.pt", out / "metrics.json", out / "resume.pt", recipe,
              replace(settings, max_epochs=max_epochs), log=log)
        return out

    def run(label: str, recipe: Recipe, scratch: Path, max_epochs: int | None = None) -> dict:
        print(f"[{label}] {recipe}" + (f", stopping after {max_epochs} epochs" if max_epochs else ""), flush=True)
        out = train_into(scratch / label, recipe, max_epochs, lambda line: print(f"  [{label}] {line}", flush=True))
        result = summarise(label, json.loads((out / "metrics.json").read_text()), args.target, args.marks)
        result["integer_check"] = integer_check(out / "model.pt", capture_images, config)
        print(f"  [{label}] recovered-output mean abs error per layer: {result['integer_check']}", flush=True)
        return result

    def write_reports() -> None:
        """After every run, so that a run cut short by a time limit keeps what was measured."""
        rows = results + budget_runs
        if args.markdown:
            table = markdown_table(rows, args.target, args.marks, device_name)
            Path(args.markdown).write_text(table + "\n" + "".join(f"- {line}\n" for line in ratio_lines(rows, args.target)))
        if args.json:
            Path(args.json).write_text(json.dumps({"device": device_name, "results": results, "budget_runs": budget_runs,
                                                   "repeat_check": repeatable}, indent=1))

    results, budget_runs, repeatable = [], [], None
    with tempfile.TemporaryDirectory() as scratch:
        if args.repeat_check:
            recipe = recipe_named(args.repeat_check)
            twice = [train_into(Path(scratch) / f"repeat-{attempt}", recipe, 2, lambda line: None) / "model.pt"
                     for attempt in ("a", "b")]
            repeatable = repeat_check(*twice)
            print(f"repeat check, {args.repeat_check} twice with seed {settings.seed}: {repeatable}", flush=True)
        for name in args.recipes:
            results.append(run(name, recipe_named(name), Path(scratch), limits.get(name)))
            write_reports()
        for fitted, budget in budgets:
            if args.time_limit and time.perf_counter() - began + budget > args.time_limit:
                print(f"[{fitted}@{budget:g}s] skipped: it would end after --time-limit {args.time_limit:g} s", flush=True)
                continue
            measured = next(r for r in results if r["recipe"] == fitted)
            count = epochs_for_budget(measured, budget)
            start = time.perf_counter()
            result = run(f"{fitted}@{budget:g}s", scaled(recipe_named(fitted), count), Path(scratch))
            result.update(budget=budget, wall_seconds=time.perf_counter() - start)
            budget_runs.append(result)
            write_reports()

    marks = "".join(f" {'acc@' + format(m, 'g') + 's':>9}" for m in args.marks)
    print(f"\n{'recipe':14} {'epochs':>6} {'1st ep s':>8} {'s/epoch':>8} {'s to ' + format(args.target, 'g') + '%':>8} "
          f"{'final acc':>9} {'total s':>8}{marks}  integer check")
    for r in results + budget_runs:
        check = integer_verdict(r)
        row_marks = "".join(f" {fmt(r['accuracy_at_marks'][m], '8.2f') + '%':>9}" for m in args.marks)
        print(f"{r['recipe']:14} {r['epochs']:>6} {r['first_epoch_seconds']:>8.2f} {r['seconds_per_epoch']:>8.3f} "
              f"{fmt(r['seconds_to_target'], '.1f'):>8} {r['final_test_acc']:>8.2f}% {r['total_seconds']:>8.1f}"
              f"{row_marks}  {check}")
    for line in ratio_lines(results + budget_runs, args.target):
        print(line)
    for r in budget_runs:
        verdict = "within" if r["total_seconds"] <= r["budget"] else "OVER"
        print(f"budget {r['budget']:g} s: {r['epochs']} epochs, {r['final_test_acc']:.2f}% in {r['total_seconds']:.1f} s "
              f"({verdict} budget)")
    for r in results + budget_runs:
        print(f"curve {r['recipe']} (steps, wall s, test acc %): {r['curve']}")
    if repeatable:
        print(f"repeat check ({args.repeat_check}): {repeatable}")
    if args.markdown:
        print("\n" + Path(args.markdown).read_text(), end="")


if __name__ == "__main__":
    main()
