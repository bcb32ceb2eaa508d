"""Multi-tile vector sets: names, manifest, whole-layer out.txt, stale tiles and atomic writes."""
import json

import numpy as np
import pytest
from support import HW_8X8, random_layer

from qaccel.export.serialize import export_layer
from qaccel.export.tile_check import reference_output
from qaccel.export.vectors import VectorRangeError, read_vectors


def test_multi_tile_names_and_manifest(tmp_path):
    act, weight = random_layer(20, 12, 3, 5)
    ws = export_layer(tmp_path / "ws", "ws", act, weight, relu=False, hw=HW_8X8, layer=3)
    os_ = export_layer(tmp_path / "os", "os", act, weight, relu=False, hw=HW_8X8, layer=3)
    assert ws["tiles"] == {"ic": 3, "oc": 2} and os_["tiles"] == {"pixel": 2, "oc": 2}
    ws_names = {f["path"] for f in ws["files"]}
    assert {"activation_ict0.txt", "activation_ict2.txt", "weight_kij8_ict2_oct1.txt", "psum_kij0_ict1_oct0.txt",
            "out.txt"} <= ws_names
    assert len(ws_names) == 3 + 3 * 2 * 9 * 2 + 1
    os_names = {f["path"] for f in os_["files"]}
    assert {"activation_os_ic19_pxt1.txt", "weight_os_ic0_oct1.txt", "out_os_pxt1_oct0.txt"} <= os_names
    assert len(os_names) == 20 * 2 + 20 * 2 + 2 * 2 + 1
    on_disk = json.loads((tmp_path / "ws" / "manifest.json").read_text())
    assert on_disk == json.loads(json.dumps(ws))
    for entry in ws["files"] + os_["files"]:
        directory = tmp_path / ("ws" if entry in ws["files"] else "os")
        values = read_vectors(directory / entry["path"], entry["bits"], entry["signed"])
        assert values.shape == (entry["lines"], entry["fields"])


def test_out_txt_is_the_whole_layer_and_equal_between_dataflows(tmp_path):
    act, weight = random_layer(9, 17, 4, 3, seed=4)
    for dataflow in ("ws", "os"):
        export_layer(tmp_path / dataflow, dataflow, act, weight, relu=True, hw=HW_8X8)
    ws_out = (tmp_path / "ws" / "out.txt").read_bytes()
    assert ws_out == (tmp_path / "os" / "out.txt").read_bytes()
    np.testing.assert_array_equal(read_vectors(tmp_path / "ws" / "out.txt", 16, True), reference_output(act, weight, True))


def test_partial_os_tile_lanes(tmp_path):
    act, weight = random_layer(2, 3, 2, 2)  # 4 pixels, 3 output channels in one 8x8 tile
    manifest = export_layer(tmp_path, "os", act, weight, relu=False, hw=HW_8X8)
    tile = next(f for f in manifest["files"] if f["kind"] == "output_os")
    assert tile["pixels"] == [0, 1, 2, 3, -1, -1, -1, -1]
    values = read_vectors(tmp_path / tile["path"], 16, True)
    np.testing.assert_array_equal(values[:4, :3], reference_output(act, weight, False))
    assert not values[4:].any() and not values[:, 3:].any()


def test_rewrite_removes_tiles_of_an_earlier_array_shape(tmp_path):
    act, weight = random_layer(16, 8, 4, 4)
    export_layer(tmp_path, "ws", act, weight, relu=False, hw=HW_8X8)
    assert (tmp_path / "activation_ict1.txt").exists()
    export_layer(tmp_path, "ws", act, weight, relu=False, hw={**HW_8X8, "rows": 16})
    names = {p.name for p in tmp_path.iterdir()}
    assert "activation_ict1.txt" not in names and "activation.txt" in names


def test_failed_export_leaves_the_previous_set_untouched(tmp_path):
    act, weight = random_layer(8, 8, 4, 4)
    export_layer(tmp_path, "ws", act, weight, relu=False, hw=HW_8X8)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(VectorRangeError):
        export_layer(tmp_path, "ws", act, weight, relu=False, hw={**HW_8X8, "psum_bits": 6})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert not list(tmp_path.parent.glob(".*partial*"))
