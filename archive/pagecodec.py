"""How a raw page is kept in `pages.body`: Zstandard level 3, and zlib in older archives.

Measured on real saved pages (bench/page_compression.py: 252 KB on average), zstd level 3
compresses a page in ~0.9 ms to a ratio of 4.25, where zlib level 6 (what archives stored
before) took ~5.3 ms for 4.35 and zlib 1 ~2.4 ms for 3.76. A dictionary trained on news pages
gained 3% of ratio for pages this big: not worth a dictionary every archive would have to keep.

Each blob says what it is by its first bytes: a Zstandard frame starts with its magic number
28 B5 2F FD, a zlib stream with 0x78. So both kinds are read without a column saying which.
"""
from __future__ import annotations

import zlib

try:  # Python 3.14 has it; before, the backport (PEP 784), which Scrapy also depends on
    from compression import zstd
except ImportError:  # pragma: no cover - depends on the Python version
    from backports import zstd

ZSTD_LEVEL = 3
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def compress_page(body: bytes | bytearray | memoryview) -> bytes:
    """The blob to store for a page's raw bytes."""
    return zstd.compress(bytes(body), ZSTD_LEVEL)


def decompress_page(blob: bytes) -> bytes:
    """The raw bytes of a stored blob, whichever way it was compressed (zstd.ZstdError or
    zlib.error when it is damaged)."""
    blob = bytes(blob)
    return zstd.decompress(blob) if blob[:4] == ZSTD_MAGIC else zlib.decompress(blob)
