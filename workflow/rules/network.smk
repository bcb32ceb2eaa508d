# Whole-network inference: shards of test images through the float, integer and RTL paths
# (qaccel.network), merged per dataflow, then one report table for both dataflows.
# A shard's range is in its file name, not in params: changing network.first/count re-runs only the
# shards whose names change (shards start at multiples of network.shard).


rule network_shard:
    input:
        model=MODEL,
        data=DATA,
        build=network_build,
        code=library_code("network_shard.py"),
    output:
        results="results/network/{dataflow}/shards/images{first}-{last}.json",
        timing="results/network/{dataflow}/shards/images{first}-{last}.timing.json",
    log:
        "logs/network/{dataflow}/images{first}-{last}.log",
    benchmark:
        "logs/network/{dataflow}/images{first}-{last}.benchmark.tsv"
    threads: 1
    resources:
        mem_mb=config["network"]["mem_mb"],
        runtime=config["network"]["runtime_min"],
    params:
        backend=config["network"]["backend"],
        hardware=config["hardware"],
        mean=config["data"]["mean"],
        std=config["data"]["std"],
        integer_tolerance=config["integerize"]["integer_tolerance"],
        requant=config["requant"],
    script:
        "../../scripts/network_shard.py"


rule network_merge:
    input:
        results=network_shard_results,
        timing=network_shard_timings,
        code=library_code("network_merge.py"),
    output:
        predictions="results/network/{dataflow}/predictions.tsv",
        summary="results/network/{dataflow}/summary.json",
        timing="results/network/{dataflow}/timing.json",
    log:
        "logs/network/{dataflow}/merge.log",
    benchmark:
        "logs/network/{dataflow}/merge.benchmark.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../../scripts/network_merge.py"


rule network_report:
    input:
        summaries=expand(
            "results/network/{dataflow}/summary.json",
            dataflow=config["network"]["dataflows"],
        ),
        code=library_code("network_report.py"),
    output:
        accuracy=report(
            "results/network/accuracy.tsv",
            caption="../report/network_accuracy.rst",
            category="Network",
        ),
        layers=report(
            "results/network/layers.tsv",
            caption="../report/network_layers.rst",
            category="Network",
        ),
    log:
        "logs/network/report.log",
    benchmark:
        "logs/network/report.benchmark.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../../scripts/network_report.py"


rule network_bandwidth:
    input:
        model=MODEL,
        data=DATA,
        build=network_build,
        code=library_code("network_bandwidth.py"),
    output:
        table=report(
            "results/network/bandwidth.tsv",
            caption="../report/network_bandwidth.rst",
            category="Network",
        ),
    log:
        "logs/network/bandwidth.log",
    benchmark:
        "logs/network/bandwidth.benchmark.tsv"
    threads: 1
    resources:
        mem_mb=config["network"]["mem_mb"],
        runtime=config["network"]["runtime_min"],
    params:
        image=config["network"]["first"],
        bandwidths=config["network"]["bandwidths"],
        dataflows=config["network"]["dataflows"],
        latency=config["hardware"]["dram_latency"],
        mean=config["data"]["mean"],
        std=config["data"]["std"],
        integer_tolerance=config["integerize"]["integer_tolerance"],
        requant=config["requant"],
    script:
        "../../scripts/network_bandwidth.py"
