"""nextpnr-ecp5 place and route of the core (rule hw_pnr): fmax and utilisation from nextpnr's own
report, agreeing with synthesis, and a core too large for the part refused by name."""
import pytest

from qaccel.hw.parts import DoesNotFit, fit_check
from qaccel.hw.pnr import over_capacity, printed_utilisation


def test_place_and_route_reports_fmax_and_the_synthesised_cells_placed(small_core_run):
    pnr, resources = small_core_run.pnr, small_core_run.synth["ecp5"]["resources"]
    assert (pnr["part"], pnr["package"], pnr["seed"], pnr["clock"], pnr["target_mhz"]) == (
        "LFE5U-85F", "CABGA381", 1, "clk", 100)
    assert 10 < pnr["fmax_mhz"] < 400
    used = {name: counts["used"] for name, counts in pnr["utilisation"].items()}
    assert used["DP16KD"] == resources["DP16KD"] == 23
    assert used["MULT18X18D"] == resources["MULT18X18D"] == 12
    assert used["TRELLIS_FF"] == resources["TRELLIS_FF"]
    assert used["TRELLIS_RAMW"] == resources["TRELLIS_DPR16X4"] == 0  # no distributed RAM
    assert used["TRELLIS_IO"] == 0  # out of context
    assert pnr["utilisation"]["DP16KD"]["available"] == 208 and pnr["utilisation"]["MULT18X18D"]["available"] == 156
    log = small_core_run.log("pnr")
    assert "expect about" in log and "at iteration #" in log and f"fmax of clk: {pnr['fmax_mhz']:.2f} MHz" in log


def test_a_core_larger_than_the_part_is_refused_naming_each_resource():
    resources = {"LUT4": 90000, "TRELLIS_FF": 1000, "CCU2C": 10, "DP16KD": 520, "MULT18X18D": 128,
                 "TRELLIS_DPR16X4": 5}
    with pytest.raises(DoesNotFit) as refused:
        fit_check(resources, "LFE5U-85F", "r8c8a8sw4p32k24l16-17.19.13.20.6")
    assert str(refused.value) == ("core r8c8a8sw4p32k24l16-17.19.13.20.6 does not fit LFE5U-85F: LUT4 90000 > 83640 "
                                  "TRELLIS_COMB; DP16KD 520 > 208 DP16KD")
    fit_check({**resources, "LUT4": 83640, "DP16KD": 208}, "LFE5U-85F", "r8c8a8sw4p32k24l16-17.19.13.20.6")


def test_the_utilisation_nextpnr_prints_before_failing_names_what_is_over():
    printed = ["Info: Device utilisation:", "Info: \t          TRELLIS_IO:       0/    365     0%",
               "Info: \t              DP16KD:     520/    208   250%",
               "Info: \t          TRELLIS_FF:    1543/  83640     1%", "ERROR: Unable to place cell"]
    assert printed_utilisation(printed) == {"TRELLIS_IO": {"used": 0, "available": 365},
                                            "DP16KD": {"used": 520, "available": 208},
                                            "TRELLIS_FF": {"used": 1543, "available": 83640}}
    assert over_capacity(printed_utilisation(printed)) == ["DP16KD 520 > 208"]
