"""`snakemake --report report.html` on the tiny run holds every figure, with its caption."""
import base64
import re

import pytest
from support import REPO, config_args, run_snakemake

pytestmark = pytest.mark.slow

FIGURES = {  # figure -> its caption (workflow/report/*.rst)
    "results/figures/training_curves.png": "training_curves.rst",
    "results/figures/alphas.png": "alphas.rst",
    "results/figures/layer27.png": "layer.rst",
    "results/figures/rtl_pass.png": "rtl_pass.rst",
    "results/figures/rtl_cycles.png": "rtl_cycles.rst",
    "results/figures/jobs.png": "jobs.rst",
    "results/figures/network_accuracy.png": "network_figure.rst",
    "results/figures/network_energy.png": "network_energy.rst",
    "results/figures/memory_bound.png": "memory_bound.rst",
}


def test_the_report_holds_every_figure_with_its_caption(copy_of_tiny_workflow):
    workdir = copy_of_tiny_workflow
    run_snakemake(workdir, *config_args(workdir / "tiny.yaml"), "--report", "report.html", "--workflow-profile", "none")
    html = (workdir / "report.html").read_text()
    embedded = set(re.findall(r'"data_uri": "data:image/png;charset=utf8;filename=([^;"]+);base64,', html))
    assert embedded == {name.rsplit("/", 1)[1] for name in FIGURES}
    for figure, caption in FIGURES.items():
        png = (workdir / figure).read_bytes()
        assert png.startswith(b"\x89PNG") and base64.b64encode(png).decode() in html, figure
        first_words = " ".join((REPO / "workflow/report" / caption).read_text().split()[:6])
        assert first_words in html, caption
