rule summary:
    input:
        metrics="results/train/metrics.json",
        integers=expand(
            "results/layer{layer}/integerize.json", layer=config["export"]["layers"]
        ),
        manifests=exported("vectors/manifest.json"),
        sims=check_outcomes("sim.json"),
        code=library_code("summary.py"),
    output:
        table=report(
            "results/summary.tsv", caption="../report/summary.rst", category="Summary"
        ),
        json="results/summary.json",
    log:
        "logs/summary.log",
    benchmark:
        "logs/summary.benchmark.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../../scripts/summary.py"
