# The rule runs the same plain command that trains on a machine without Snakemake
# (python -m qaccel.train --help). log_every reaches it outside params: it shapes only the log,
# so changing it must not retrain.
rule train:
    input:
        data=DATA,
    output:
        model=MODEL,
        metrics="results/train/metrics.json",
    params:
        recipe=train_recipe_json,
        settings=train_settings_json,
        # Not an output: Snakemake deletes the outputs of a failed job, the resume state must survive it.
        resume="results/train/resume.pt",
    log:
        "logs/train.log",
    threads: config["train"]["threads"]
    resources:
        gpu=1 if training_uses_gpu() else 0,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime_min"],
    shell:
        "python -m qaccel.train --data {input.data} --model {output.model} --metrics {output.metrics}"
        " --resume {params.resume} --recipe {params.recipe:q} --settings {params.settings:q}"
        " --threads {threads} --log {log} --log-every {config[train][log_every]}"
