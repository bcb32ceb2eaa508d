"""Rule dse_summary: the design-space sweep's table, one row per array and dataflow, with its Pareto flags."""
import json
from pathlib import Path

from qaccel.hw.dse import mark_pareto, point, write_table
from qaccel.workflow.stage_log import StageLog


def read(path):
    return json.loads(Path(path).read_text())


with StageLog(snakemake.log[0], "dse summary") as log:
    synth = {Path(path).parent.name: read(path) for path in snakemake.input.synth}
    placed = {Path(path).parent.name: read(path) for path in snakemake.input.pnr}
    points = []
    for path in snakemake.input.networks:  # results/dse/{core}/{dataflow}/images{first}-{last}.json
        core = Path(path).parts[-3]
        points.append(point(core, read(path), synth[core], placed.get(core)))
    rows = mark_pareto(points)
    write_table(rows, snakemake.output.table)
    with open(snakemake.output.json, "w") as handle:
        json.dump({"rows": rows}, handle, indent=1)
    for row in rows:
        log(f"{row['rows']}x{row['cols']} {row['dataflow']}: {row['cycles_per_image']:.0f} cycles per image "
            f"(utilisation {row['utilisation']:.2f}), {row['energy_uj_per_image']:.0f} uJ, "
            f"{row['nand2_equivalents']:.0f} NAND2 equivalents, "
            + (f"{row['fmax_mhz']:.1f} MHz, {row['images_per_s']:.1f} images/s" if row["fits"]
               else f"does not fit: {row['does_not_fit']}"))
