rule integerize:
    input:
        "results/layer{layer}/capture.pt",
    output:
        integers="results/layer{layer}/integer.npz",
        report="results/layer{layer}/integerize.json",
    params:
        integer_tolerance=config["integerize"]["integer_tolerance"],
        max_recovered_error=config["integerize"]["max_recovered_error"],
    log:
        "logs/layer{layer}/integerize.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/integerize.py"
