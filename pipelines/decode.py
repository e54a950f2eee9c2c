"""Page bytes → text, by one rule shared by the spider's charset check, extraction and reprocess.

The order is the browsers' (WHATWG "encoding sniffing"), with w3lib's readers for each step:
1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32);
2. the charset of the HTTP Content-Type header;
3. the page's own declaration: <meta charset>, <meta http-equiv=Content-Type>, <?xml encoding?>;
4. detection, when nothing is declared: UTF-8 when the bytes are UTF-8 (a stray broken byte
   allowed), else windows-1258 when that reads as Vietnamese syllables, else windows-1252 —
   the charset in which TCVN3 and VNI font text is written (pipelines.legacy_vietnamese reads it).

Two departures from a browser, both for pages a browser would show as mojibake:
- a page that declares a single-byte legacy charset (header or meta) but is valid UTF-8 with
  non-ASCII text is UTF-8: a site moved to UTF-8 and kept its old declaration;
- a declared charset the bytes do not fit (many undecodable sequences) gives way to the next
  declaration that fits (header → meta); when none fits the page is refused (CharsetMismatch),
  never decoded into replacement characters.
Single-byte charsets decode as WHATWG does (a byte the codec leaves undefined is its C1 control),
and windows-1258 text, which writes tone marks as combining characters, comes out NFC.
"""
from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from pipelines.legacy_vietnamese import vietnamese_syllable_share

_MIN_TOLERATED = 16       # undecodable sequences any page may hold (more on a large page)
_HIGH_BYTES = bytes(range(0x80, 0x100))


class CharsetMismatch(ValueError):
    """The page's bytes do not decode with the charset it declares; the reason is str(e)."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str      # the Python codec used ("utf-8", "cp1258", "utf-16-le", ...)
    source: str        # what decided it: "bom", "header", "meta", "detected" (or "text" for str input)


def _c1_passthrough(exc: UnicodeDecodeError):
    """WHATWG single-byte decoding: a byte the codec leaves undefined (0x81 in windows-1252) is
    the C1 control of the same number, not a replacement character."""
    return "".join(chr(b) for b in exc.object[exc.start:exc.end]), exc.end


codecs.register_error("tintinh_c1", _c1_passthrough)


def _codec_name(encoding: str) -> str:
    return codecs.lookup(encoding).name


@lru_cache(maxsize=64)
def _single_byte(encoding: str) -> bool:
    """One byte, one character (windows-125x, ISO 8859-x, KOI8...): every byte string decodes."""
    name = _codec_name(encoding)
    if name.startswith("utf"):
        return False
    return len(bytes(range(256)).decode(name, errors="tintinh_c1")) == 256


def fits(data: bytes, bad: int) -> bool:
    """Whether a page with `bad` undecodable sequences is in the charset tried: a few broken
    bytes are common and harmless; many, or most of its non-ASCII bytes, mean another charset
    (UTF-8 Vietnamese spends 2-3 bytes a letter, a single-byte charset breaks at nearly each)."""
    if bad == 0:
        return True
    non_ascii = len(data) - len(data.translate(None, _HIGH_BYTES))
    return bad <= max(_MIN_TOLERATED, len(data) // 10000) and bad * 10 <= non_ascii


def _decode(data: bytes, encoding: str) -> tuple[str, int]:
    """(text, number of undecodable sequences) for `data` in `encoding`."""
    if _single_byte(encoding):
        text = data.decode(encoding, errors="tintinh_c1")
        if _codec_name(encoding) == "cp1258":
            text = unicodedata.normalize("NFC", text)
        return text, 0
    try:
        return data.decode(encoding), 0
    except UnicodeDecodeError:
        pass
    text = data.decode(encoding, errors="replace")
    genuine = data.count("\ufffd".encode(encoding)) if encoding.startswith("utf") else 0
    return text, text.count("\ufffd") - genuine


def _as_declared(encoding: str, source: str) -> str:
    """A declared label as it is to be used: a page cannot declare UTF-16/32 from inside itself
    in ASCII markup (WHATWG reads such a <meta> as UTF-8); a header's bare "utf-16" is LE."""
    name = _codec_name(encoding)
    if name in ("utf-16", "utf-32", "utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le") and source == "meta":
        return "utf-8"
    if name in ("utf-16", "utf-32"):
        return name + "-le"
    return name


def _is_utf8_text(data: bytes) -> bool:
    """Valid UTF-8 that holds non-ASCII text (pure ASCII reads the same in any declared charset)."""
    if len(data.translate(None, _HIGH_BYTES)) == len(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def declared_charsets(data: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """[(encoding, "header"|"meta")] in the order they are tried."""
    found = []
    if content_type and (header := http_content_type_encoding(content_type)):
        found.append((_as_declared(header, "header"), "header"))
    if meta := html_body_declared_encoding(data):
        found.append((_as_declared(meta, "meta"), "meta"))
    return found


def decode_page(data: bytes | str, content_type: str | None = None) -> Decoded:
    """Page bytes (and the Content-Type header they came with, if known) → Decoded.

    Raises CharsetMismatch when the page declares a charset its bytes are not in."""
    if isinstance(data, str):
        return Decoded(data, "str", "text")
    data = bytes(data)
    bom_encoding, bom = read_bom(data)
    if bom_encoding is not None:
        return Decoded(data[len(bom):].decode(bom_encoding, errors="replace"), bom_encoding, "bom")
    problems = []
    for encoding, source in declared_charsets(data, content_type):
        if _single_byte(encoding) and _is_utf8_text(data):
            return Decoded(data.decode("utf-8"), "utf-8", source)
        text, bad = _decode(data, encoding)
        if fits(data, bad):
            return Decoded(text, encoding, source)
        problems.append(f"{bad} byte sequences are not valid {encoding}"
                        f"{' as the HTTP header declares' if source == 'header' else ' as the page declares'}")
    if problems:
        raise CharsetMismatch("; ".join(problems))
    return _detect(data)


def _detect(data: bytes) -> Decoded:
    text, bad = _decode(data, "utf-8")
    if fits(data, bad):
        return Decoded(text, "utf-8", "detected")
    vietnamese, _ = _decode(data, "cp1258")
    if vietnamese_syllable_share(vietnamese) >= 0.6:
        return Decoded(vietnamese, "cp1258", "detected")
    return Decoded(_decode(data, "cp1252")[0], "cp1252", "detected")


def charset_problem(data: bytes, content_type: str | None = None) -> str:
    """Why the bytes cannot be read with the charset they declare, or "" (see decode_page)."""
    try:
        decode_page(data, content_type)
    except CharsetMismatch as e:
        return str(e)
    return ""
