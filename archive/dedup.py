"""Content identity: exact hashes and near-duplicate (same wire story) signatures.

Pure functions; `archive.store` keeps the signatures and LSH buckets in SQLite so that a
check costs a few indexed lookups whatever the archive's size, and survives restarts.

- `content_hash`: sha1 of `common.text.content_key` (NFC, tones unified, whitespace folded,
  lower case), so hoà/hòa or decomposed accents give the same hash.
- `story_lines`: the lines that identify a story: long enough to carry content, without the
  agency lead "(CTO) -" or photo credits that differ between papers printing the same story.
- `signature`: MinHash of 4-syllable shingles (numpy, stable across processes: syllables
  are hashed with blake2b, never Python's salted `hash`).
- `band_keys`: LSH banding (20 bands × 3 rows), one 63-bit key per band.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np

from common.text import content_key, unify_tones

SHINGLE = 4            # syllables per shingle
PERMUTATIONS = 60
BANDS, ROWS = 20, 3    # candidate when ~Jaccard ≥ 0.37; confirmed at SIMILAR
SIMILAR = 0.5          # estimated Jaccard at which two texts are one story
MIN_LINE_SYLLABLES = 6  # shorter lines (bylines, labels, "Theo TTXVN") carry no story
MIN_SHINGLES = 12      # below this a text is too short to call anything its duplicate
MIN_EXACT_KEY = 80     # shorter content keys are too generic to merge two URLs on

_WORD = re.compile(r"\w+")
# Agency/paper prefix of a lead (matched on keyed, lower-case text): "(CTO) -", "(PLO)-",
# "TTXVN -", "HÀ NỘI (TTXVN) -"
_LEAD_PREFIX = re.compile(r"^\s*(?:[^\W\d_][\w .]{0,30})?\(\s*[\w .\-/]{1,20}\)\s*[-–—:]\s*|^\s*[a-zđ]{2,10}\s*[-–—]\s*")
# Photo credit or byline-ish tails of captions: "Ảnh: THUẬN VĂN", "(Ảnh: TTXVN)"
_CREDIT = re.compile(r"[\s(]*(?:ảnh|nguồn|video|clip|đồ họa|đồ hoạ)\s*:\s*[^.()]{0,60}\)?\s*$", re.IGNORECASE)


def _constants(label: str, n: int, odd: bool = False) -> np.ndarray:
    """Fixed 64-bit constants from blake2b: signatures are stored, so they must never change
    with a library version (numpy's random streams may)."""
    values = [int.from_bytes(hashlib.blake2b(f"tintinh-{label}-{i}".encode(), digest_size=8).digest(), "little")
              for i in range(n)]
    return np.array([v | 1 if odd else v for v in values], dtype=np.uint64)


_A = _constants("minhash-a", PERMUTATIONS, odd=True)
_B = _constants("minhash-b", PERMUTATIONS)
_MIX = _constants("shingle", SHINGLE, odd=True)
_BAND_MIX = _constants("band", ROWS, odd=True)
_BAND_SALT = _constants("band-salt", BANDS)
_syllable_ids: dict[str, int] = {}


def content_hash(text: str | None) -> str:
    """sha1 hex of the normalised text: equal for any spelling of tones, NFD/NFC, spacing."""
    return hashlib.sha1(content_key(text).encode("utf-8")).hexdigest()


def line_key(line: str) -> int:
    """A stable signed 64-bit key for one normalised line (boilerplate counting)."""
    return int.from_bytes(hashlib.blake2b(line.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def key_lines(text: str | None) -> list[str]:
    """`content_key` line by line: " ".join(key_lines(t)) == content_key(t), one normalisation pass."""
    return [" ".join(line.split()) for line in unify_tones(text).lower().splitlines() if line.strip()]


def story_lines(sapo_key: str, body_keys: list[str]) -> list[str]:
    """Keyed lines that carry the story: lead prefix and photo credits stripped, short lines dropped.

    Takes keyed text (`content_key(sapo)`, `key_lines(body)`), so nothing is normalised twice.
    """
    lines = []
    for i, line in enumerate([sapo_key] + body_keys):
        if i <= 1:  # the lead may be the sapo or, when there is none, the first body line
            line = _LEAD_PREFIX.sub("", line)
        if ":" in line[-80:]:
            line = _CREDIT.sub("", line)
        if len(line.split()) >= MIN_LINE_SYLLABLES:
            lines.append(line)
    return list(dict.fromkeys(lines))


def _syllable_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def syllable_ids(text: str) -> np.ndarray:
    """The 64-bit hash of each syllable (word) of the text, in order."""
    words = _WORD.findall(text)
    try:
        return np.fromiter(map(_syllable_ids.__getitem__, words), dtype=np.uint64, count=len(words))
    except KeyError:  # a syllable not seen yet in this process
        if len(_syllable_ids) > 500_000:  # Vietnamese has ~7,000 syllables; names and numbers grow it
            _syllable_ids.clear()
        _syllable_ids.update((w, _syllable_hash(w)) for w in set(words).difference(_syllable_ids))
        return np.fromiter(map(_syllable_ids.__getitem__, words), dtype=np.uint64, count=len(words))


def shingles(lines: list[str]) -> np.ndarray:
    """64-bit hashes of the SHINGLE-syllable windows over the text (windows cross lines)."""
    return shingles_of(syllable_ids("\n".join(lines)))


def shingles_of(ids: np.ndarray) -> np.ndarray:
    """`shingles` of the lines whose syllable ids, line after line, are `ids` (numpy only: a
    writer that leaves some lines out recombines the ids prepared with the article)."""
    if len(ids) < SHINGLE:
        return np.empty(0, dtype=np.uint64)
    n = len(ids) - SHINGLE + 1
    acc = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):
        acc = (acc ^ (ids[j:j + n] * _MIX[j])) * np.uint64(0x9E3779B97F4A7C15)
    return acc  # duplicates are harmless: a MinHash takes minima


_BLOCK = 8192   # shingles per block of `signature`


def signature(hashes: np.ndarray) -> np.ndarray | None:
    """MinHash signature (PERMUTATIONS uint32), or None when the text is too short to compare."""
    if len(hashes) < MIN_SHINGLES:
        return None
    # Blocks of shingles, so a huge text costs a bounded matrix (8 MB), not len × PERMUTATIONS.
    lowest = None
    for start in range(0, len(hashes), _BLOCK):
        with np.errstate(over="ignore"):
            mixed = np.multiply.outer(hashes[start:start + _BLOCK], _A)
            mixed += _B
        block = mixed.min(axis=0)
        lowest = block if lowest is None else np.minimum(lowest, block)
    # the top 32 bits of each permutation's minimum (a shift keeps order, so min first is the same)
    return (lowest >> np.uint64(32)).astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 63-bit LSH key per band; equal keys in a band make a candidate pair."""
    rows = sig.astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = (rows * _BAND_MIX[None, :]).sum(axis=1, dtype=np.uint64) ^ _BAND_SALT
        keys = (keys * np.uint64(0xBF58476D1CE4E5B9)) >> np.uint64(1)
    return [int(k) for k in keys]


def similarity(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def sig_to_blob(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def sig_from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")
