"""Train the seed recipe and the fast recipe on the same machine, in one run, and compare them.

Prints, per recipe: seconds per epoch (training only), training seconds until the test accuracy
first reaches the target (default 90%), the final test accuracy; then the fast/seed ratios.
On a machine without CUDA it smoke-tests on a small subset (or pass --train-subset etc.).

    python benchmarks/train_recipes.py --data resources/cifar10.npz --config config.yaml
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from qaccel.config import load_config_files, training_settings
from qaccel.train import Recipe, RunSettings, train

REPO = Path(__file__).resolve().parent.parent


def summarise(name: str, metrics: list[dict], target: float, wall: float) -> dict:
    elapsed, reached = 0.0, None
    for record in metrics:
        elapsed += record["train_seconds"]
        if reached is None and record["test_acc"] >= target:
            reached = elapsed
    return {"recipe": name, "epochs": len(metrics), "seconds_per_epoch": elapsed / max(len(metrics), 1),
            "train_seconds": elapsed, "wall_seconds": wall, "seconds_to_target": reached,
            "final_test_acc": metrics[-1]["test_acc"] if metrics else None,
            "curve": [(round(sum(m["train_seconds"] for m in metrics[: i + 1]), 2), m["test_acc"])
                      for i, m in enumerate(metrics)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="canonical CIFAR-10 .npz (rule data's output)")
    parser.add_argument("--config", nargs="+", default=[str(REPO / "config.yaml")], help="config files, merged")
    parser.add_argument("--recipes", nargs="+", default=["seed", "fast"])
    parser.add_argument("--target", type=float, default=90.0, help="test accuracy (%%) to time")
    parser.add_argument("--epochs", type=int, help="override every recipe's epochs")
    parser.add_argument("--train-subset", type=int, help="default on CPU: 512")
    parser.add_argument("--test-subset", type=int, help="default on CPU: 256")
    parser.add_argument("--max-steps", type=int, help="default on CPU: 8 per recipe")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    config = load_config_files(args.config, REPO / "workflow/schemas/config.schema.yaml")
    settings = RunSettings(**{**training_settings(config), "mean": tuple(config["data"]["mean"]),
                              "std": tuple(config["data"]["std"])})
    on_cpu = not torch.cuda.is_available()
    settings = replace(settings, device="cuda" if not on_cpu else "cpu",
                       train_subset=args.train_subset or (512 if on_cpu else settings.train_subset),
                       test_subset=args.test_subset or (256 if on_cpu else settings.test_subset),
                       max_steps=args.max_steps or (8 if on_cpu else settings.max_steps),
                       log_every=10**9)
    device_name = torch.cuda.get_device_name() if not on_cpu else "cpu"
    print(f"device: {device_name}; torch {torch.__version__}; subsets train={settings.train_subset} "
          f"test={settings.test_subset}; max_steps={settings.max_steps}", flush=True)

    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.recipes:
            recipe = Recipe.from_dict(config["train"]["recipes"][name])
            if args.epochs:
                recipe = replace(recipe, epochs=args.epochs)
            out = Path(scratch) / name
            out.mkdir()
            start = time.perf_counter()
            result = train(Path(args.data), out / "model.pt", out / "metrics.json", out / "resume.pt", recipe, settings,
                           log=lambda line, name=name: print(f"  [{name}] {line}", flush=True))
            results.append(summarise(name, result.metrics, args.target, time.perf_counter() - start))

    print(f"\n{'recipe':8} {'epochs':>6} {'s/epoch':>9} {'train s':>9} {'s to ' + str(args.target) + '%':>10} {'final acc':>9}")
    for r in results:
        reached = f"{r['seconds_to_target']:.1f}" if r["seconds_to_target"] is not None else "not reached"
        print(f"{r['recipe']:8} {r['epochs']:>6} {r['seconds_per_epoch']:>9.2f} {r['train_seconds']:>9.1f} "
              f"{reached:>10} {r['final_test_acc']:>8.2f}%")
    if len(results) >= 2:
        base, other = results[0], results[1]
        print(f"\nratio {other['recipe']}/{base['recipe']}: s/epoch x{other['seconds_per_epoch'] / base['seconds_per_epoch']:.3f}, "
              f"final accuracy {other['final_test_acc'] - base['final_test_acc']:+.2f} points")
        if base["seconds_to_target"] and other["seconds_to_target"]:
            print(f"time to {args.target}%: x{other['seconds_to_target'] / base['seconds_to_target']:.3f}")
    for r in results:
        print(f"curve {r['recipe']} (train seconds, test acc): {r['curve']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"device": device_name, "results": results}, indent=1))


if __name__ == "__main__":
    main()
