rule train:
    input:
        data=DATA,
    output:
        model=MODEL,
        metrics="results/train/metrics.json",
    params:
        recipe=train_recipe,
        settings=train_settings,
        # Not an output: Snakemake deletes the outputs of a failed job, the resume state must survive it.
        resume="results/train/resume.pt",
    log:
        "logs/train.log",
    threads: config["train"]["threads"]
    resources:
        gpu=1 if training_uses_gpu() else 0,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime_min"],
    script:
        "../../scripts/train.py"
