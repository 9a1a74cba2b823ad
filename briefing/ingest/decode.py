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
    """Bytes to text: UTF-8 (BOM stripped) first, else a legacy code page; None for binary data.

    Newlines are never translated. Binary data is recognised from the bytes themselves (control bytes that no
    text file holds), before any detector guesses a code page for it. charset_normalizer alone is unreliable on
    short Western text (it answers cp1250, or even big5, for a latin-1 headline), so text that reads as plausible
    cp1252 (a superset of latin-1's printable range) is taken as cp1252, unless the text is long enough for the
    detector to be trusted and it recognises a Central European language. A file mixing UTF-8 lines with lines in
    a legacy code page is decoded line by line, each line in its own encoding.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding, bom in _BOMS:
        if data.startswith(bom):
            try:
                return _text_or_none(data.decode(encoding))  # the utf-16/32 codecs consume the BOM
            except UnicodeDecodeError:
                return None
    if b"\x00" in data or _binary_bytes(data):
        return None
    try:
        return _text_or_none(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    mixed = _mixed_lines(data)
    if mixed is not None:
        return _text_or_none(mixed)
    encoding = _legacy_encoding(data)
    return _text_or_none(data.decode(encoding)) if encoding else None


def _legacy_encoding(data: bytes) -> str | None:
    """The code page ``data`` (not UTF-8) is written in, or None when no reading is text."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    western = _plausible_cp1252(data)
    letters = sum(1 for c in western[:100_000] if c.isalpha()) if western is not None else 0
    trusted = letters >= _TRUST_DETECTOR_LETTERS
    if western is not None and not (trusted and any(m.language in _NON_WESTERN for m in matches)):
        return "cp1252"
    for match in matches:
        if match.encoding in _WESTERN_CODECS:  # cp1252 was just judged implausible
            continue
        try:
            if _text_or_none(data.decode(match.encoding)) is not None:
                return match.encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return "cp1252" if western is not None else None


# Below this many letters the detector's language guess is noise ("naïve, déjà vu à Genève" reads as Czech).
_TRUST_DETECTOR_LETTERS = 400


def _mixed_lines(data: bytes) -> str | None:
    """``data`` decoded line by line when some of its lines are UTF-8 with non-ASCII letters and others are not
    UTF-8 at all (a file pasted together from two sources); None when the file is not such a mix."""
    lines = data.splitlines(keepends=True)
    utf8, legacy = [], []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8.append(i)
        except UnicodeDecodeError:
            legacy.append(i)
    if not utf8 or not legacy:
        return None
    encoding = _legacy_encoding(b"".join(lines[i] for i in legacy)) or "cp1252"
    bad = set(legacy)
    return "".join(line.decode(encoding, errors="replace") if i in bad else line.decode("utf-8")
                   for i, line in enumerate(lines))


# Control bytes that do not occur in text in any single-byte code page or UTF-8 (tab, newlines, vertical tab, form
# feed and escape do).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def _binary_bytes(data: bytes) -> bool:
    """Whether the raw bytes are binary: more than 1% of them control bytes (random or compressed data has about
    10%), whichever code page a detector would read them in."""
    sample = data[:100_000]
    return len(_CONTROL_BYTES.findall(sample)) > len(sample) / 100


def _plausible_cp1252(data: bytes) -> str | None:
    """``data`` read as cp1252 if it looks like Western text: no byte undefined in cp1252, none of the letters
    other code pages produce, and at most half the letters accented (Cyrillic or Greek read as cp1252 is all
    accents)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if _CP1252_SUSPECT.intersection(text):
        return None
    letters = [c for c in text[:100_000] if c.isalpha()]
    accented = sum(1 for c in letters if c > "\x7f")
    return text if accented <= 0.5 * len(letters) else None


# Control characters that do not occur in text files (tab, newlines, vertical tab and form feed do).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _text_or_none(text: str) -> str | None:
    """``text``, or None when more than 1% of its characters are control characters: binary data."""
    sample = text[:100_000]
    return None if len(_CONTROL.findall(sample)) > len(sample) / 100 else text
