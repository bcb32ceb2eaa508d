rule serialize:
    input:
        tiles="results/layer{layer}/{dataflow}/tiles.npz",
        integers="results/layer{layer}/integer.npz",
    output:
        manifest="results/layer{layer}/{dataflow}/manifest.json",
        out="results/layer{layer}/{dataflow}/out.txt",
    params:
        rows=config["hardware"]["rows"],
        cols=config["hardware"]["cols"],
        psum_bits=config["hardware"]["psum_bits"],
    log:
        "logs/layer{layer}/{dataflow}/serialize.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/serialize.py"
