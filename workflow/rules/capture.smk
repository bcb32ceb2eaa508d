rule capture:
    input:
        model=MODEL,
        data=DATA,
    output:
        "results/layer{layer}/capture.pt",
    params:
        image=config["capture"]["image"],
        batch_size=config["capture"]["batch_size"],
        mean=config["data"]["mean"],
        std=config["data"]["std"],
    log:
        "logs/layer{layer}/capture.log",
    resources:
        mem_mb=4000,
        runtime=10,
    script:
        "../../scripts/capture.py"
