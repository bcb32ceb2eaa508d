rule tile:
    input:
        "results/layer{layer}/integer.npz",
    output:
        tiles="results/layer{layer}/{dataflow}/tiles.npz",
        check="results/layer{layer}/{dataflow}/tile_check.json",
    params:
        rows=config["hardware"]["rows"],
        cols=config["hardware"]["cols"],
    log:
        "logs/layer{layer}/{dataflow}/tile.log",
    resources:
        mem_mb=4000,
        runtime=10,
    script:
        "../../scripts/tile.py"
