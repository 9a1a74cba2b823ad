"""Bytes to text: UTF-8 first, then the detected legacy code page; binary data is refused."""

from __future__ import annotations

import re




# Characters cp1252 gives for bytes that, in real text, mostly mean another code page (Polish ł -> ³, ą -> ¹,
# ż -> ¿ is left out as Spanish uses it; Turkish ş -> þ, ğ -> ð; Cyrillic р -> ð ...).
_CP1252_SUSPECT = frozenset("¹³¥¯Ÿ¾ÐðÝýÞþ¦¨¸")
# Languages written with letters cp1252 lacks: if the detector names one of these, do not assume cp1252.
_NON_WESTERN = frozenset(
    "Polish Czech Slovak Hungarian Romanian Croatian Slovene Bosnian Serbian Lithuanian Latvian Estonian".split()
)
_WESTERN_CODECS = frozenset({"cp1252", "latin_1", "iso8859_15"})
# Checked longest first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS = (
    ("utf-32", b"\xff\xfe\x00\x00"),
    ("utf-32", b"\x00\x00\xfe\xff"),
    ("utf-16", b"\xff\xfe"),
    ("utf-16", b"\xfe\xff"),
)


def decode(data: bytes) -> str | None:
    """Bytes to text: UTF-8 (BOM stripped) first, else a detected encoding; None for binary data.

    Newlines are never translated. charset_normalizer alone is unreliable on short Western text (it answers
    cp1250, or even big5, for a latin-1 headline), so text that reads as plausible cp1252 (a superset of latin-1's
    printable range) is taken as cp1252 unless the detector recognises a Central European language; otherwise the
    detector's first candidate that is not a rejected Western reading wins.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding, bom in _BOMS:
        if data.startswith(bom):
            try:
                return _text_or_none(data.decode(encoding))  # the utf-16/32 codecs consume the BOM
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    try:
        return _text_or_none(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    western = _plausible_cp1252(data)
    if western is not None and not any(m.language in _NON_WESTERN for m in matches):
        return _text_or_none(western)
    for match in matches:
        if match.encoding in _WESTERN_CODECS:  # cp1252 was just judged implausible
            continue
        try:
            return _text_or_none(data.decode(match.encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    return _text_or_none(western) if western is not None else None


def _plausible_cp1252(data: bytes) -> str | None:
    """``data`` read as cp1252 if it looks like Western text: no byte undefined in cp1252, none of the letters
    other code pages produce, and accented letters a minority (Cyrillic or Greek read as cp1252 is all accents)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if _CP1252_SUSPECT.intersection(text):
        return None
    letters = [c for c in text[:100_000] if c.isalpha()]
    accented = sum(1 for c in letters if c > "\x7f")
    return text if accented <= 0.25 * len(letters) else None


# Control characters that do not occur in text files (tab, newlines, vertical tab and form feed do).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _text_or_none(text: str) -> str | None:
    """``text``, or None when more than 1% of its characters are control characters: binary data."""
    sample = text[:100_000]
    return None if len(_CONTROL.findall(sample)) > len(sample) / 100 else text
