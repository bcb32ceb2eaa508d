"""One table of a finished run: training, integer checks, vectors and RTL results per layer."""
from __future__ import annotations

import json
from pathlib import Path

from .outcomes import read_outcome

# Wall-clock figures (seconds, simulated cycles per second) stay in metrics.json and sim.json, so that
# the summary of one run is byte-identical wherever it ran.
COLUMNS = ("layer", "dataflow", "recovered_mean_abs_error", "tiles", "vector_files", "rtl_passed", "simulator",
           "rtl_cycles", "model_cycles", "values_checked", "ideal_cycles", "utilisation", "model_utilisation",
           "energy_uj", "rtl_failed_at")


def _read(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def _share(ideal: float, cycles: int | None) -> float | None:
    """ideal / cycles: the share of MAC-unit cycles that do a MAC."""
    return round(ideal / cycles, 4) if cycles else None


def summarise(metrics: str | Path, integer_reports: list, manifests: list, sims: list) -> dict:
    """``manifests`` and ``sims`` are parallel lists (one entry per layer and dataflow); a sim is sim.json or,
    where the simulation failed, its failure record."""
    training = _read(metrics)
    last = training["epochs"][-1] if training["epochs"] else {}
    errors = {report["layer"]: report["recovered_mean_abs_error"] for report in map(_read, integer_reports)}
    rows = []
    for manifest_path, sim_path in zip(manifests, sims):
        manifest, sim = _read(manifest_path), read_outcome(sim_path)
        ideal = sim["ideal_cycles"]
        rows.append({
            "layer": manifest["layer"],
            "dataflow": manifest["dataflow"],
            "recovered_mean_abs_error": errors[manifest["layer"]],
            "tiles": "x".join(f"{name}{count}" for name, count in manifest["tiles"].items()),
            "vector_files": len(manifest["files"]),
            "rtl_passed": sim["passed"],
            "simulator": sim["simulator"],
            "rtl_cycles": sim.get("cycles"),
            "model_cycles": sim["model"]["cycles"],
            "values_checked": sim.get("values_checked"),
            "ideal_cycles": ideal,
            "utilisation": _share(ideal, sim.get("cycles")),
            "model_utilisation": _share(ideal, sim["model"]["cycles"]),
            "energy_uj": sim["energy"]["total_uj"] if "energy" in sim else None,
            "rtl_failed_at": sim.get("failed_at"),
        })
    return {"training": {"device": training["device"], "recipe": training["recipe"], "epochs": len(training["epochs"]),
                         "steps": last.get("steps"), "test_acc": training["final_test_acc"]},
            "layers": rows}


def write_tsv(summary: dict, path: str | Path) -> None:
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join("" if row[c] is None else str(row[c]) for c in COLUMNS) for row in summary["layers"]]
    Path(path).write_text("\n".join(lines) + "\n")
