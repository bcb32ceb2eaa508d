# scripts/train.py calls the train() that `python -m qaccel.training.train` runs on machines without Snakemake.
rule train:
    input:
        data=DATA,
        code=library_code("train.py"),
    output:
        model=MODEL,
        metrics="results/train/metrics.json",
    log:
        "logs/train.log",
    benchmark:
        "logs/train.benchmark.tsv"
    threads: config["train"]["threads"]
    resources:
        gpu=1 if training_uses_gpu() else 0,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime_min"],
    params:
        recipe=train_recipe_json,
        settings=train_settings_json,
        # Not an output: Snakemake deletes the outputs of a failed job, the resume state must survive it.
        resume="results/train/resume.pt",
    script:
        "../../scripts/train.py"
