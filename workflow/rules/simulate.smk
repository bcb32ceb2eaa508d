# RTL simulation of one layer's vector set on rtl/core.v (cocotb through cocotb_tools.runner).
rule simulate:
    input:
        manifest="results/layer{layer}/{dataflow}/vectors/manifest.json",
        rtl=RTL_SOURCES,
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
    params:
        simulator=config["sim"]["simulator"],
        build_dir=sim_build_dir,
        rtl_dir=rtl_dir,
        library=library_code("simulate.py"),
    script:
        "../../scripts/simulate.py"
