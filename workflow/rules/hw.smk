# What the core costs (README): Yosys synthesis and nextpnr place and route of rtl/core.v for a core
# key (qaccel.rtl.build.BenchParameters.key()). Not part of rule all: ask for
# results/hw/<key>/synth.json or pnr.json by name. The tools' time limits (hw.*_timeout_s) shape no
# result, so the scripts read them from the config, not params: changing one re-runs nothing.


# A checkpoint: the design-space sweep places a core only where its synthesis says it fits the part.
checkpoint hw_synth:
    input:
        rtl=RTL_SOURCES,
        code=library_code("hw_synth.py"),
    output:
        report="results/hw/{core}/synth.json",
        netlist="results/hw/{core}/ecp5_netlist.json",
    log:
        "logs/hw/{core}/synth.log",
    benchmark:
        "logs/hw/{core}/synth.benchmark.tsv"
    resources:
        mem_mb=8000,
        runtime=3 * config["hw"]["synth_timeout_s"] // 60 + 1,
    params:
        part=config["hw"]["part"],
    script:
        "../../scripts/hw_synth.py"


rule hw_pnr:
    input:
        report="results/hw/{core}/synth.json",
        netlist="results/hw/{core}/ecp5_netlist.json",
        code=library_code("hw_pnr.py"),
    output:
        "results/hw/{core}/pnr.json",
    log:
        "logs/hw/{core}/pnr.log",
    benchmark:
        "logs/hw/{core}/pnr.benchmark.tsv"
    resources:
        mem_mb=8000,
        runtime=config["hw"]["pnr_timeout_s"] // 60 + 1,
    params:
        part=config["hw"]["part"],
        package=config["hw"]["package"],
        seed=config["hw"]["seed"],
        target_mhz=config["hw"]["target_mhz"],
    script:
        "../../scripts/hw_pnr.py"
