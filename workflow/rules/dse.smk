# The design-space sweep (README, "Design-space sweep"): every array of dse.arrays in each dataflow,
# the whole network on the array's own core for dse.images test images (every layer checked, as in
# rule network_shard), beside the core's synthesis, its place and route where synthesis says it fits
# hw.part, and its energy per image. Each array's jobs are separate (SLURM runs them side by side).
# Not in rule all: `snakemake dse` runs it, with its figures.


rule dse_network:
    input:
        model=MODEL,
        data=DATA,
        build="resources/sim_build/verilator-{core}",
        code=library_code("network_shard.py"),
    output:
        results="results/dse/{core}/{dataflow}/images{first}-{last}.json",
        timing="results/dse/{core}/{dataflow}/images{first}-{last}.timing.json",
    log:
        "logs/dse/{core}/{dataflow}/images{first}-{last}.log",
    benchmark:
        "logs/dse/{core}/{dataflow}/images{first}-{last}.benchmark.tsv"
    threads: 1
    resources:
        mem_mb=config["network"]["mem_mb"],
        runtime=config["network"]["runtime_min"],
    params:
        backend="core",
        hardware=lambda wildcards: core_hardware(wildcards.core),
        mean=config["data"]["mean"],
        std=config["data"]["std"],
        integer_tolerance=config["integerize"]["integer_tolerance"],
        requant=config["requant"],
    script:
        "../../scripts/network_shard.py"


rule dse_summary:
    input:
        networks=dse_networks(),
        synth=expand("results/hw/{core}/synth.json", core=DSE_CORES),
        pnr=dse_placed,
        code=library_code("dse_summary.py"),
    output:
        table=report(
            "results/dse/summary.tsv",
            caption="../report/dse_summary.rst",
            category="Design space",
        ),
        json="results/dse/summary.json",
    log:
        "logs/dse/summary.log",
    benchmark:
        "logs/dse/summary.benchmark.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../../scripts/dse_summary.py"


rule dse_figures:
    input:
        summary="results/dse/summary.json",
        code=library_code("dse_figures.py"),
    output:
        speed=report(
            "results/figures/dse_speed.png",
            caption="../report/dse_speed.rst",
            category="Design space",
        ),
        energy=report(
            "results/figures/dse_energy.png",
            caption="../report/dse_energy.rst",
            category="Design space",
        ),
    log:
        "logs/dse/figures.log",
    benchmark:
        "logs/dse/figures.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    script:
        "../../scripts/dse_figures.py"


rule dse:
    input:
        "results/dse/summary.tsv",
        "results/figures/dse_speed.png",
        "results/figures/dse_energy.png",
