"""Memory images as $readmemh / $writememh files: one word per line in hex, lane i of a word at bits
[i*bits, (i+1)*bits), two's complement. Vectorised: a layer's weight image is hundreds of
thousands of words."""
from __future__ import annotations

from pathlib import Path

import numpy as np

HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _nibbles(word_bits: np.ndarray) -> np.ndarray:
    """(words, bits) 0/1, least significant first -> (words, digits) nibble values, most significant
    digit first (in bytes: a DRAM image is millions of bits)."""
    words, count = word_bits.shape
    digits = -(-count // 4)
    padded = np.zeros((words, digits * 4), dtype=np.uint8)
    padded[:, :count] = word_bits
    quads = padded.reshape(words, digits, 4)
    nibbles = quads[:, :, 0] | quads[:, :, 1] << 1 | quads[:, :, 2] << 2 | quads[:, :, 3] << 3
    return nibbles[:, ::-1]


def lane_bits(lanes: np.ndarray, bits: int) -> np.ndarray:
    """(words, lanes) ints -> (words, lanes * bits) 0/1: each lane's ``bits`` low bits, least significant
    first, lane 0 lowest."""
    lanes = np.asarray(lanes, dtype=np.int64)
    words, count = lanes.shape
    return ((lanes[:, :, None] >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8).reshape(words, count * bits)


def format_words(lanes: np.ndarray, bits: int) -> bytes:
    """The file body for ``lanes`` (words, lanes), one hex word per line."""
    return format_bits(lane_bits(lanes, bits))


def format_bits(word_bits: np.ndarray) -> bytes:
    """The file body for ``word_bits`` (words, bits) 0/1, least significant bit first, one hex word per
    line (words wider than an int: a DRAM beat of constants and weights)."""
    nibbles = _nibbles(np.asarray(word_bits))
    if nibbles.shape[0] == 0:
        return b""
    chars = HEX_DIGITS[nibbles]
    newline = np.full((chars.shape[0], 1), ord("\n"), dtype=np.uint8)
    return np.concatenate([chars, newline], axis=1).tobytes()


def write_words(path: Path, lanes: np.ndarray, bits: int) -> None:
    Path(path).write_bytes(format_words(lanes, bits))


def write_bits(path: Path, word_bits: np.ndarray) -> None:
    Path(path).write_bytes(format_bits(word_bits))


class UnknownBitsError(ValueError):
    """A word holds x or z digits: a simulator's unknown bits."""


def _nibble_values(lines: list[str]) -> np.ndarray:
    """(words, digits) nibble values of equally long hex words; -1 where a digit is not hex."""
    text = np.frombuffer("".join(lines).lower().encode(), dtype=np.uint8).reshape(len(lines), -1)
    nibbles = np.full(text.shape, -1, dtype=np.int64)
    digit, letter = (text >= ord("0")) & (text <= ord("9")), (text >= ord("a")) & (text <= ord("f"))
    nibbles[digit] = text[digit] - ord("0")
    nibbles[letter] = text[letter] - ord("a") + 10
    return nibbles


def words_to_lanes(lines: list[str], lanes: int, bits: int, what: str,
                   line_numbers: list[int] | None = None) -> np.ndarray:
    """Hex words (one per entry, all the same length) -> (words, lanes) signed ints. A word with
    x or z digits (a simulator's unknown bits) is an UnknownBitsError naming ``what``, the word's
    index and, when given, its line (``line_numbers``, one per word)."""
    if not lines:
        return np.zeros((0, lanes), dtype=np.int64)
    nibbles = _nibble_values(lines)
    if (nibbles < 0).any():
        index = int(np.argwhere(nibbles < 0)[0][0])
        line = f" (line {line_numbers[index]})" if line_numbers else ""
        raise UnknownBitsError(f"{what}: word {index}{line} is {lines[index]!r}, not a number (unknown bits; "
                               f"{int((nibbles < 0).any(axis=1).sum())} of {len(lines)} words hold some)")
    word_bits = (nibbles[:, ::-1, None] >> np.arange(4)) & 1  # (words, digits LSB first, 4)
    word_bits = word_bits.reshape(len(lines), -1)[:, : lanes * bits].reshape(len(lines), lanes, bits)
    values = (word_bits << np.arange(bits)).sum(axis=2)
    return np.where(values >= 1 << (bits - 1), values - (1 << bits), values)


def read_words(path: Path, lanes: int, bits: int, memory: str) -> np.ndarray:
    """A $writememh file of ``memory`` (its words from address 0) -> (words, lanes) signed ints.
    Comment lines are skipped; an address line (@) is refused, as the words would not be those
    from address 0. Unknown bits are an UnknownBitsError naming the memory, the file, the word
    (its address) and its line."""
    words, line_numbers = [], []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("@"):
            raise ValueError(f"{path} line {number}: address line {line!r}; expected the words of {memory} "
                             f"from address 0, one per line")
        words.append(line)
        line_numbers.append(number)
    return words_to_lanes(words, lanes, bits, f"{memory} in {path}", line_numbers)
