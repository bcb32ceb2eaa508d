# SCALE-Sim 3 (PyPI scalesim) in its own virtual environment (it needs NumPy 1), run on VGG16's 13
# convs per array and dataflow: results/scalesim/{rows}x{cols}/{dataflow}.json. Not in rule all:
# about 3 minutes of CPU per dataflow at 8x8. `snakemake scalesim_all` runs the configured array's.


rule scalesim_all:
    input:
        scalesim_targets(),


rule scalesim_venv:
    output:
        directory("resources/scalesim-venv"),
    log:
        "logs/scalesim/venv.log",
    benchmark:
        "logs/scalesim/venv.benchmark.tsv"
    params:
        packages=config["scalesim"]["packages"],
    script:
        "../../scripts/scalesim_venv.py"


rule scalesim:
    input:
        environment="resources/scalesim-venv",
        runner=SCALESIM_RUNNER,
        code=library_code("scalesim.py"),
    output:
        json="results/scalesim/{rows}x{cols}/{dataflow}.json",
        run=directory("results/scalesim/{rows}x{cols}/{dataflow}"),
    log:
        "logs/scalesim/{rows}x{cols}/{dataflow}.log",
    benchmark:
        "logs/scalesim/{rows}x{cols}/{dataflow}.benchmark.tsv"
    wildcard_constraints:
        rows=r"\d+",
        cols=r"\d+",
    threads: 1
    resources:
        mem_mb=config["scalesim"]["mem_mb"],
        runtime=config["scalesim"]["runtime_min"],
    params:
        sram_kb={
            "ifmap": config["scalesim"]["ifmap_sram_kb"],
            "filter": config["scalesim"]["filter_sram_kb"],
            "ofmap": config["scalesim"]["ofmap_sram_kb"],
        },
    script:
        "../../scripts/scalesim.py"
