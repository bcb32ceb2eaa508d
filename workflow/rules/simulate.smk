# RTL simulation: one build of the bench (rtl/bench/layer_bench.v) per simulator and core, which
# every layer, dataflow and network shard shares; then one layer's vector set on it.


rule sim_build:
    input:
        rtl=RTL_SOURCES,
        bench=BENCH_SOURCES,
        code=library_code("sim_build.py"),
    output:
        directory("resources/sim_build/{simulator}-{key}"),
    log:
        "logs/sim_build/{simulator}-{key}.log",
    benchmark:
        "logs/sim_build/{simulator}-{key}.benchmark.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        parameters=lambda wildcards: build_of_key(wildcards.key)[0].__dict__,
        mutant=lambda wildcards: build_of_key(wildcards.key)[1],
        profile_guided=lambda wildcards: profile_guided(
            wildcards.simulator, wildcards.key
        ),
    script:
        "../../scripts/sim_build.py"


rule simulate:
    input:
        vectors="results/layer{layer}/{dataflow}/vectors",
        build=simulate_build,
        code=library_code("simulate.py"),
    output:
        "results/layer{layer}/{dataflow}/sim.json",
    log:
        "logs/layer{layer}/{dataflow}/simulate.log",
    benchmark:
        "logs/layer{layer}/{dataflow}/simulate.benchmark.tsv"
    threads: 1
    resources:
        mem_mb=config["sim"]["mem_mb"],
        runtime=config["sim"]["runtime_min"],
    script:
        "../../scripts/simulate.py"
