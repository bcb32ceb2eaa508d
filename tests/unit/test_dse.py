"""The design-space sweep's table (qaccel.hw.dse): each row from a whole-network run and the core's
synthesis and place and route, figures worked out here by hand, and the Pareto front."""
import pytest

from qaccel.hw.dse import COLUMNS, mark_pareto, non_dominated, point, write_table

REFUSED = "core r4c4a8sw4p32k24l16-18.20.14.21.4 does not fit LFE5U-85F: DP16KD 520 > 208 DP16KD"


def shard(dataflow="ws", rtl=(3, 5)):
    """Two images over two layers: 100 + 300 and 140 + 300 cycles, 2 + 6 and 4 + 6 µJ."""
    return {
        "dataflow": dataflow,
        "images": [{"image": 0, "rtl": rtl[0], "integer_only": 3, "cycles": {"0": 100, "3": 300},
                    "energy_uj": {"0": {"total": 2.0}, "3": {"total": 6.0}}},
                   {"image": 1, "rtl": rtl[1], "integer_only": 5, "cycles": {"0": 140, "3": 300},
                    "energy_uj": {"0": {"total": 4.0}, "3": {"total": 6.0}}}],
        "layers": [{"layer": 0, "ideal_cycles": 54.0, "psum_bits": 9}, {"layer": 3, "ideal_cycles": 288.0,
                                                                       "psum_bits": 13}],
    }


def synth(fits=True):
    ecp5 = {"fits": fits, "resources": {"LUT4": 2000, "TRELLIS_FF": 1500, "CCU2C": 400, "DP16KD": 5,
                                        "MULT18X18D": 16, "TRELLIS_DPR16X4": 64}}
    if not fits:
        ecp5["refused"] = REFUSED
    return {"parameters": {"ROWS": 4, "COLS": 4, "PSUM_BITS": 32},
            "generic": {"nand2_equivalents": 12345.5, "memory_bits": 65536}, "ecp5": ecp5}


def test_a_placed_point_has_its_speed_at_fmax_and_the_widths_the_network_needs():
    row = point("r4c4a8sw4p32k24l16-6.7.8.9.4", shard(), synth(), {"fmax_mhz": 52.0})
    assert row["cycles_per_image"] == 420.0  # (400 + 440) / 2
    assert row["ideal_cycles_per_image"] == 342.0 and row["utilisation"] == round(342 / 420, 4)
    assert row["images_per_mcycle"] == round(1e6 / 420, 4)
    assert row["images_per_s"] == round(52e6 / 420, 2)
    assert row["energy_uj_per_image"] == 9.0  # (8 + 10) / 2
    assert (row["psum_bits"], row["psum_bits_needed"]) == (32, 13)
    assert (row["rows"], row["cols"], row["dataflow"], row["images"]) == (4, 4, "ws", 2)
    assert (row["lut4"], row["trellis_ff"], row["dp16kd"], row["mult18x18d"]) == (2000, 1500, 5, 16)
    assert row["fits"] is True and row["does_not_fit"] is None


def test_a_point_that_does_not_fit_says_why_and_has_no_clock():
    row = point("r4c4a8sw4p32k24l16-18.20.14.21.4", shard("os"), synth(fits=False), None)
    assert row["fits"] is False and row["does_not_fit"] == REFUSED
    assert row["fmax_mhz"] is row["images_per_s"] is row["lut4"] is row["dp16kd"] is None
    assert row["nand2_equivalents"] == 12345.5 and row["images_per_mcycle"] == round(1e6 / 420, 4)


def test_a_point_whose_rtl_class_differs_from_the_integer_only_path_is_refused_naming_the_images():
    with pytest.raises(ValueError, match=r"core k ws: the RTL's class differs from the integer-only path's on images \[1\]"):
        point("k", shard(rtl=(3, 4)), synth(), None)


def test_non_dominated_points_have_no_other_point_cheaper_and_better():
    # (cost, benefit): (2, 5) beats (3, 4); (1, 1) and (4, 9) are extremes; a tie dominates neither.
    assert non_dominated([(2, 5), (3, 4), (1, 1), (4, 9), (2, 5)]) == [True, False, True, True, True]


def test_pareto_flags_per_front():
    rows = [{"nand2_equivalents": 1e4, "images_per_mcycle": 0.1, "energy_uj_per_image": 900.0, "images_per_s": None,
             "lut4": None},
            {"nand2_equivalents": 4e4, "images_per_mcycle": 0.3, "energy_uj_per_image": 1000.0, "images_per_s": 20.0,
             "lut4": 9000},
            {"nand2_equivalents": 5e4, "images_per_mcycle": 0.25, "energy_uj_per_image": 800.0, "images_per_s": 25.0,
             "lut4": 8000}]
    marked = mark_pareto(rows)
    assert [row["pareto_mcycle_gates"] for row in marked] == [True, True, False]
    assert [row["pareto_energy_gates"] for row in marked] == [True, False, True]
    assert [row["pareto_speed_luts"] for row in marked] == [None, False, True]
    assert "pareto_mcycle_gates" not in rows[0]  # the input rows are left as they were


def test_the_table_has_every_column_and_leaves_missing_figures_empty(tmp_path):
    row = mark_pareto([point("r4c4a8sw4p32k24l16-18.20.14.21.4", shard("os"), synth(fits=False), None)])[0]
    write_table([row], tmp_path / "summary.tsv")
    header, line = (tmp_path / "summary.tsv").read_text().splitlines()
    assert header.split("\t") == list(COLUMNS)
    fields = dict(zip(COLUMNS, line.split("\t")))
    assert (fields["core"], fields["dataflow"], fields["cycles_per_image"], fields["fmax_mhz"], fields["lut4"],
            fields["fits"], fields["pareto_speed_luts"], fields["does_not_fit"]) == (
        "r4c4a8sw4p32k24l16-18.20.14.21.4", "os", "420.0", "", "", "False", "", REFUSED)


def test_the_figures_draw_placed_and_refused_points(tmp_path):
    from qaccel.workflow import figures

    placed = point("r4c4a8sw4p32k24l16-6.7.8.9.4", shard(), synth(), {"fmax_mhz": 52.0})
    refused = {**point("r4c4a8sw4p32k24l16-18.20.14.21.4", shard("os"), synth(fits=False), None), "rows": 8, "cols": 8,
               "nand2_equivalents": 50000.0}
    for rows, name in (([placed, refused], "both"), ([refused], "none_placed")):
        marked = mark_pareto(rows)
        figures.dse_speed(marked, tmp_path / f"speed_{name}.png")
        figures.dse_energy(marked, tmp_path / f"energy_{name}.png")
        for figure in ("speed", "energy"):
            assert (tmp_path / f"{figure}_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
