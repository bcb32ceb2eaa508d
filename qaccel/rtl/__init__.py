"""The hardware half of qaccel: programs for the RTL core, the analytical cycle model, the cocotb
bench that runs a layer's vector set on the core, and the runner that builds and simulates it.

No Snakemake here: ``scripts/simulate.py`` adapts a rule to :func:`qaccel.rtl.runner.simulate_layer`.
"""
