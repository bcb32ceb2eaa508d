"""Vector files: exact bytes against the seed's own writing loops, round trips, range errors."""
import numpy as np
import pytest
from support import HW_8X8, random_layer

from qaccel.export.serialize import export_layer
from qaccel.export.vectors import (
    HEADERS,
    VectorFormatError,
    VectorRangeError,
    encode,
    read_vectors,
    write_vectors,
)


def seed_binary(value: int, bits: int) -> str:
    """The seed's conversion: add 2^bits to negatives, then '{0:0Nb}'."""
    value = int(round(value))
    if value < 0:
        value += 2**bits
    return format(value, f"0{bits}b")


def seed_file(kind: str, rows_of_fields) -> bytes:
    """The seed's loops: per line, fields from index 7 down to 0."""
    bits = 16 if kind in ("psum", "output", "output_os") else 4
    lines = [line + "\n" for line in HEADERS[kind]]
    for fields in rows_of_fields:
        lines.append("".join(seed_binary(fields[7 - j], bits) for j in range(8)) + "\n")
    return "".join(lines).encode()



def test_layer27_ws_files_are_byte_exact_to_the_seed(tmp_path):
    act, weight = random_layer(8, 8, 4, 4)
    manifest = export_layer(tmp_path, "ws", act, weight, relu=True, hw=HW_8X8, layer=27)
    a_pad = np.zeros((8, 6, 6), dtype=np.int64)
    a_pad[:, 1:5, 1:5] = act
    a_pad = a_pad.reshape(8, 36)
    w_int = weight.reshape(8, 8, 9)
    assert (tmp_path / "activation.txt").read_bytes() == seed_file("activation", [a_pad[:, t] for t in range(36)])
    conv = np.zeros((8, 16), dtype=np.int64)
    for k in range(9):
        assert (tmp_path / f"weight_kij{k}.txt").read_bytes() == seed_file("weight", [w_int[c, :, k] for c in range(8)])
        psum = w_int[:, :, k] @ a_pad  # (8 cols, 36 time steps)
        assert (tmp_path / f"psum_kij{k}.txt").read_bytes() == seed_file("psum", [psum[:, t] for t in range(36)])
        for o in range(16):
            conv[:, o] += psum[:, (o // 4 + k // 3) * 6 + o % 4 + k % 3]
    out = np.maximum(conv, 0)
    assert (tmp_path / "out.txt").read_bytes() == seed_file("output", [out[:, o] for o in range(16)])
    assert sorted(f["path"] for f in manifest["files"]) == sorted(
        ["activation.txt", "out.txt"] + [f"{n}_kij{k}.txt" for n in ("weight", "psum") for k in range(9)])
    lengths = {f["kind"]: (f["lines"], f["fields"], f["bits"], f["signed"]) for f in manifest["files"]}
    assert lengths == {"activation": (36, 8, 4, False), "weight": (8, 8, 4, True), "psum": (36, 8, 16, True),
                       "output": (16, 8, 16, True)}
    # the seed's header lines, typed out here independently of qaccel.export.vectors.HEADERS
    assert (tmp_path / "activation.txt").read_text().splitlines()[0] == "#time0row7[msb-lsb],time0row6[msb-lst],...,time0row0[msb-lst]#"
    assert (tmp_path / "psum_kij3.txt").read_text().splitlines()[1] == "#time1col7[msb-lsb],time1col6[msb-lst],....,time1col0[msb-lst]#"
    assert (tmp_path / "weight_kij0.txt").read_text().splitlines()[2] == "#.....#"
    for line in (tmp_path / "psum_kij3.txt").read_text().splitlines()[3:]:
        assert len(line) == 128


def test_one_os_tile_is_byte_exact_to_the_seed(tmp_path):
    """The seed's OS cells: pixels 0-7 of row 0, per input channel, raw sums (relu=False)."""
    act, weight = random_layer(3, 8, 8, 8, seed=1)
    export_layer(tmp_path, "os", act, weight, relu=False, hw=HW_8X8)
    width = 8
    a_pad = np.zeros((3, 10, 10), dtype=np.int64)
    a_pad[:, 1:9, 1:9] = act
    a_pad = a_pad.reshape(3, -1)
    w_int = weight.reshape(8, 3, 9)
    for ic in range(3):
        lines = [[a_pad[ic, (p + i) + (width + 2) * j] for p in range(8)] for j in range(3) for i in range(3)]
        assert (tmp_path / f"activation_os_ic{ic}_pxt0.txt").read_bytes() == seed_file("activation_os", lines)
        assert (tmp_path / f"weight_os_ic{ic}.txt").read_bytes() == seed_file("weight_os", [w_int[:, ic, k] for k in range(9)])
    out = np.zeros((8, 8), dtype=np.int64)  # (oc, pixel)
    for p in range(8):
        for k in range(9):
            out[:, p] += w_int[:, :, k] @ a_pad[:, (k // 3) * (width + 2) + p + k % 3]
    assert (tmp_path / "out_os_pxt0.txt").read_bytes() == seed_file("output_os", [out[:, p] for p in range(8)])


def test_field_order_and_twos_complement():
    assert encode(np.array([[1, 2]]), 4, False, "t") == b"00100001\n"
    assert encode(np.array([[-1, -8, 7]]), 4, True, "t") == b"011110001111\n"
    assert encode(np.array([[-2]]), 16, True, "t") == b"1111111111111110\n"


@pytest.mark.parametrize("bits,signed", [(4, False), (4, True), (16, True), (7, False)])
def test_round_trip(tmp_path, bits, signed):
    rng = np.random.default_rng(bits)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)
    values = rng.integers(low, high, (37, 8))
    path = tmp_path / "v.txt"
    write_vectors(path, "psum", values, bits, signed, "test tensor")
    np.testing.assert_array_equal(read_vectors(path, bits, signed), values)
    lines = path.read_text().split("\n")
    assert lines[:3] == list(HEADERS["psum"]) and lines[-1] == "" and len(lines) == 3 + 37 + 1
    assert all(len(line) == 8 * bits for line in lines[3:-1])


@pytest.mark.parametrize("value,bits,signed", [(16, 4, False), (-1, 4, False), (8, 4, True), (-9, 4, True),
                                               (32768, 16, True)])
def test_out_of_range_is_refused_naming_file_line_field_value(tmp_path, value, bits, signed):
    values = np.zeros((5, 8), dtype=np.int64)
    values[2, 6] = value
    path = tmp_path / "x.txt"
    with pytest.raises(VectorRangeError, match=rf"x\.txt \(layer 0 act\): line 6 field 6: value {value} does not fit"):
        write_vectors(path, "activation", values, bits, signed, "layer 0 act")
    assert not path.exists()


def test_layer0_style_signed_activations_are_refused_not_wrapped(tmp_path):
    act, weight = random_layer(3, 8, 4, 4)
    act[1, 2, 3] = -4
    with pytest.raises(VectorRangeError, match="value -4 does not fit a 4-bit unsigned field"):
        export_layer(tmp_path / "ws", "ws", act, weight, relu=False, hw=HW_8X8, layer=0)
    assert not (tmp_path / "ws" / "manifest.json").exists()


def test_psum_overflow_is_refused(tmp_path):
    act = np.full((512, 2, 2), 15)
    weight = np.full((8, 512, 3, 3), 7)
    with pytest.raises(VectorRangeError, match="16-bit signed"):
        export_layer(tmp_path, "os", act, weight, relu=False, hw=HW_8X8)


@pytest.mark.parametrize("text,message", [
    ("#a\n#b\n#c\n0101\n011\n", r"v\.txt:5: line has 3 characters, expected 4"),
    ("#a\n#b\n#c\n0121\n", r"v\.txt:4: line holds characters other than 0 and 1"),
    ("#a\n# b\n#c\n0101\n", r"v\.txt:2: header line"),
    ("#a\n#b\n#c\n0101", r"no '\\n' ending"),
])
def test_malformed_files_are_reported_with_line(tmp_path, text, message):
    path = tmp_path / "v.txt"
    path.write_text(text)
    with pytest.raises(VectorFormatError, match=message):
        read_vectors(path, 4, False)
