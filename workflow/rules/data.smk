rule data:
    output:
        DATA,
    params:
        source=config["data"]["source"],
        archive=config["data"]["archive"],
        archive_sha256=config["data"]["archive_sha256"],
        download_root=config["data"]["download_root"],
    log:
        "logs/data.log",
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../../scripts/data.py"
