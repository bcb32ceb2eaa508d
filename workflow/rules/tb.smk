# A plain Verilog test bench that reads a layer's vector files by name, as the course's core_tb.v
# does: rtl/bench/core_tb.v on the pipeline's core, or the user's own (sim.user). Compiled once per
# simulator (the sources are inputs: an edited one compiles anew), run in each vector folder.


rule tb_build:
    input:
        tb_sources,
        code=library_code("tb_build.py"),
    output:
        directory("resources/tb_build/{simulator}"),
    log:
        "logs/tb_build/{simulator}.log",
    benchmark:
        "logs/tb_build/{simulator}.benchmark.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        bench=tb_build_bench,
    script:
        "../../scripts/tb_build.py"


rule tb:
    input:
        vectors="results/layer{layer}/{dataflow}/vectors",
        build=tb_build,
        code=library_code("tb.py"),
    output:
        "results/layer{layer}/{dataflow}/tb.json",
    log:
        "logs/layer{layer}/{dataflow}/tb.log",
    benchmark:
        "logs/layer{layer}/{dataflow}/tb.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=config["sim"]["runtime_min"],
    params:
        bench=lambda wildcards: tb_bench(
            tb_simulator(wildcards.layer, wildcards.dataflow)
        ),
        time_limit_s=config["sim"]["tb_time_limit_s"],
    script:
        "../../scripts/tb.py"
