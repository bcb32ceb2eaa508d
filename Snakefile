# qaccel: CIFAR-10 -> 4-bit QAT VGG16 -> per-layer integers -> WS/OS vectors -> RTL simulation;
# and the whole network, every conv on the core, image by image.
# One rules file per stage under workflow/rules/; every parameter reaches a rule through params:.


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


# Before the includes: global constraints apply to the rules defined after them.


wildcard_constraints:
    layer=r"\d+",
    dataflow="ws|os",
    first=r"\d+",
    last=r"\d+",
    simulator="icarus|verilator",
    key=r"[^/]+",
    core=r"r\d+c\d+a\d+[su]w\d+p\d+k\d+l\d+-\d+\.\d+\.\d+\.\d+\.\d+(-f\d+)?(-i\d+)?(-v\d+)?(-d\d+)?(-w\d+)?",


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/capture.smk"
include: "workflow/rules/integerize.smk"
include: "workflow/rules/tile.smk"
include: "workflow/rules/serialize.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/tb.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/network.smk"
include: "workflow/rules/hw.smk"
include: "workflow/rules/scalesim.smk"
include: "workflow/rules/dse.smk"


# Jobs that only tabulate or draw what others wrote: on a cluster they run beside Snakemake rather
# than wait in the queue for seconds of work.
localrules:
    all,
    summary,
    network_merge,
    network_report,
    training_figures,
    layer_figure,
    rtl_figures,
    network_figure,
    memory_bound_figure,
    jobs_figure,
    scalesim_all,
    dse,
    dse_summary,
    dse_figures,


rule all:
    default_target: True
    input:
        vector_targets(),
        SUMMARY,
        figure_targets(),
        network_targets(),
