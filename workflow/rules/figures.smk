# The report's figures (snakemake --report report.html): one rule per group, captions in workflow/report/.
rule training_figures:
    input:
        metrics="results/train/metrics.json",
        model=MODEL,
        code=library_code("training_figures.py"),
    output:
        curves=report(
            "results/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="Training",
        ),
        alphas=report(
            "results/figures/alphas.png",
            caption="../report/alphas.rst",
            category="Training",
        ),
    log:
        "logs/figures/training.log",
    benchmark:
        "logs/figures/training.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        exported=config["export"]["layers"],
    script:
        "../../scripts/training_figures.py"


rule layer_figure:
    input:
        capture="results/layer{layer}/capture.pt",
        integers="results/layer{layer}/integer.npz",
        report="results/layer{layer}/integerize.json",
        tiles=expand(
            "results/layer{{layer}}/{dataflow}/tiles.npz",
            dataflow=config["export"]["dataflows"],
        ),
        manifests=expand(
            "results/layer{{layer}}/{dataflow}/vectors/manifest.json",
            dataflow=config["export"]["dataflows"],
        ),
        code=library_code("layer_figure.py"),
    output:
        report(
            "results/figures/layer{layer}.png",
            caption="../report/layer.rst",
            category="Layers",
            subcategory="layer {layer}",
        ),
    log:
        "logs/layer{layer}/figure.log",
    benchmark:
        "logs/layer{layer}/figure.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../../scripts/layer_figure.py"


rule rtl_figures:
    input:
        summary="results/summary.json",
        sims=check_outcomes("sim.json"),
        tbs=check_outcomes("tb.json"),
        code=library_code("rtl_figures.py"),
    output:
        passes=report(
            "results/figures/rtl_pass.png",
            caption="../report/rtl_pass.rst",
            category="RTL",
        ),
        cycles=report(
            "results/figures/rtl_cycles.png",
            caption="../report/rtl_cycles.rst",
            category="RTL",
        ),
    log:
        "logs/figures/rtl.log",
    benchmark:
        "logs/figures/rtl.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../../scripts/rtl_figures.py"


rule network_figure:
    input:
        summaries=expand(
            "results/network/{dataflow}/summary.json",
            dataflow=config["network"]["dataflows"],
        ),
        code=library_code("network_figure.py"),
    output:
        accuracy=report(
            "results/figures/network_accuracy.png",
            caption="../report/network_figure.rst",
            category="Network",
        ),
        energy=report(
            "results/figures/network_energy.png",
            caption="../report/network_energy.rst",
            category="Network",
        ),
    log:
        "logs/figures/network.log",
    benchmark:
        "logs/figures/network.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../../scripts/network_figure.py"


rule memory_bound_figure:
    input:
        table="results/network/bandwidth.tsv",
        code=library_code("memory_bound_figure.py"),
    output:
        figure=report(
            "results/figures/memory_bound.png",
            caption="../report/memory_bound.rst",
            category="Network",
        ),
    log:
        "logs/figures/memory_bound.log",
    benchmark:
        "logs/figures/memory_bound.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../../scripts/memory_bound_figure.py"


rule jobs_figure:
    input:
        benchmarks=job_benchmarks(),
        code=library_code("jobs_figure.py"),
    output:
        report(
            "results/figures/jobs.png", caption="../report/jobs.rst", category="Jobs"
        ),
    log:
        "logs/figures/jobs.log",
    benchmark:
        "logs/figures/jobs.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../../scripts/jobs_figure.py"
