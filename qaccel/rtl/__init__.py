"""The hardware half of qaccel: layer programs for the RTL core (``program``, ``isa``), the vector
files read back as expectations (``vector_set``, ``check``), building the no-Python test bench
(``build``), running programs on it (``bench_run``, ``layer_sim``) and the cycle models
(``cycles``).

No Snakemake here: ``scripts/simulate.py`` adapts a rule to :func:`qaccel.rtl.layer_sim.simulate_layer`.
"""
