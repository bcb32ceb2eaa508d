# RTL simulation of one layer's vector set on rtl/core.v (cocotb through cocotb_tools.runner).
import glob
import os

# rtl/ beside workflow/, found from this rules file so any --directory works.
RTL_DIR = os.path.normpath(os.path.join(str(workflow.current_basedir), "..", "..", "rtl"))
RTL_SOURCES = sorted(glob.glob(os.path.join(RTL_DIR, "*.v")))


def sim_build_dir(wildcards):
    """One build directory per layer, dataflow and simulator: jobs never share a build."""
    return f"resources/sim_build/layer{wildcards.layer}/{wildcards.dataflow}/{config['sim']['simulator']}"


rule simulate:
    input:
        manifest="results/layer{layer}/{dataflow}/manifest.json",
        rtl=RTL_SOURCES,
    output:
        "results/layer{layer}/{dataflow}/sim.json",
    params:
        simulator=config["sim"]["simulator"],
        build_dir=sim_build_dir,
        rtl_dir=RTL_DIR,
    log:
        "logs/layer{layer}/{dataflow}/simulate.log",
    threads: 1
    resources:
        mem_mb=config["sim"]["mem_mb"],
        runtime=config["sim"]["runtime_min"],
    script:
        "../../scripts/simulate.py"
