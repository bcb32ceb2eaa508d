# The vector set is a directory: its file names depend on the tiling (tiles per dimension), so
# Snakemake removes the whole set before a rerun and no stale tile file survives. The layer's output,
# out.txt, is also written beside it (results/layer27/os/out.txt: the file a user asks for).
rule serialize:
    input:
        tiles="results/layer{layer}/{dataflow}/tiles.npz",
        integers="results/layer{layer}/integer.npz",
        code=library_code("serialize.py"),
        model=MODEL,
    output:
        vectors=directory("results/layer{layer}/{dataflow}/vectors"),
        manifest="results/layer{layer}/{dataflow}/vectors/manifest.json",
        out="results/layer{layer}/{dataflow}/out.txt",
    log:
        "logs/layer{layer}/{dataflow}/serialize.log",
    benchmark:
        "logs/layer{layer}/{dataflow}/serialize.benchmark.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        rows=config["hardware"]["rows"],
        cols=config["hardware"]["cols"],
        psum_bits=config["export"]["psum_bits"],
        signed_act_bits=config["hardware"]["act_bits"],
        requant=config["requant"],
    script:
        "../../scripts/serialize.py"
