"""Memory images as $readmemh / $writememh files: one word per line in hex, lane i of a word at bits
[i*bits, (i+1)*bits), two's complement. Vectorised: a layer's weight image is hundreds of
thousands of words."""
from __future__ import annotations

from pathlib import Path

import numpy as np

HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _nibbles(lanes: np.ndarray, bits: int) -> np.ndarray:
    """(words, lanes) ints -> (words, digits) nibble values, most significant digit first."""
    lanes = np.asarray(lanes, dtype=np.int64)
    words, count = lanes.shape
    shifts = np.arange(bits, dtype=np.int64)
    word_bits = ((lanes[:, :, None] >> shifts) & 1).reshape(words, count * bits)  # LSB first
    digits = -(-count * bits // 4)
    padded = np.zeros((words, digits * 4), dtype=np.int64)
    padded[:, : count * bits] = word_bits
    nibbles = (padded.reshape(words, digits, 4) << np.arange(4)).sum(axis=2)
    return nibbles[:, ::-1]


def format_words(lanes: np.ndarray, bits: int) -> bytes:
    """The file body for ``lanes`` (words, lanes), one hex word per line."""
    nibbles = _nibbles(lanes, bits)
    if nibbles.shape[0] == 0:
        return b""
    chars = HEX_DIGITS[nibbles]
    newline = np.full((chars.shape[0], 1), ord("\n"), dtype=np.uint8)
    return np.concatenate([chars, newline], axis=1).tobytes()


def write_words(path: Path, lanes: np.ndarray, bits: int) -> None:
    Path(path).write_bytes(format_words(lanes, bits))


def words_to_lanes(lines: list[str], lanes: int, bits: int, what: str) -> np.ndarray:
    """Hex words (one per entry, all the same length) -> (words, lanes) signed ints. A word with
    x or z digits (a simulator's unknown bits) is an error naming it."""
    if not lines:
        return np.zeros((0, lanes), dtype=np.int64)
    text = np.frombuffer("".join(lines).lower().encode(), dtype=np.uint8).reshape(len(lines), -1)
    nibbles = np.full(text.shape, -1, dtype=np.int64)
    digit, letter = (text >= ord("0")) & (text <= ord("9")), (text >= ord("a")) & (text <= ord("f"))
    nibbles[digit] = text[digit] - ord("0")
    nibbles[letter] = text[letter] - ord("a") + 10
    if (nibbles < 0).any():
        index = int(np.argwhere(nibbles < 0)[0][0])
        raise ValueError(f"{what}: word {index} is {lines[index]!r}, not a number (unknown bits)")
    word_bits = (nibbles[:, ::-1, None] >> np.arange(4)) & 1  # (words, digits LSB first, 4)
    word_bits = word_bits.reshape(len(lines), -1)[:, : lanes * bits].reshape(len(lines), lanes, bits)
    values = (word_bits << np.arange(bits)).sum(axis=2)
    return np.where(values >= 1 << (bits - 1), values - (1 << bits), values)


def read_words(path: Path, lanes: int, bits: int) -> np.ndarray:
    """A $writememh file -> (words, lanes) signed ints (comment and address lines skipped)."""
    lines = [line.strip() for line in Path(path).read_text().splitlines()]
    words = [line for line in lines if line and not line.startswith(("//", "@"))]
    return words_to_lanes(words, lanes, bits, str(path))
