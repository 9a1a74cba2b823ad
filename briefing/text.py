"""Small text helpers shared by chunking, citation checks and the extractive generator: sentences with offsets,
content words, and spans."""

from __future__ import annotations

import re

from briefing.types import Document, Span

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) and whitespace before a likely sentence
# start; or at . ! ? (and closing quotes) glued to a capitalised word ("information.Secretary", 'entail."Secretary',
# "(R-Neb.).Since"), which scraped pages often produce.
_BOUNDARY = re.compile(
    r"""[.!?](?P<close>["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9À-Ý])"""
    r"""|(?<=[a-z)])[.!?](?P<glued>["'”’)\]]*)(?=[“"]?[A-Z][a-z])"""
)
# Abbreviations after which a period does not end a sentence.
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|St|Jr|Sr|Inc|Ltd|Co|Corp|vs|No|Jan|Feb|Mar|Apr|Jun|"
    r"Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|U\.N|E\.U|a\.m|p\.m|e\.g|i\.e)\.|\b[A-Z]\.)$"
)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves said says say
    told according will would could may might must shall new one two us""".split()
)
# Thousands separators, dropped before comparing numbers so "600,000" matches "600000".
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_WORD = re.compile(r"[\w][\w'’-]*", re.UNICODE)


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text[start:end]``, trimmed of surrounding whitespace.

    Every line break ends a sentence (news text keeps one paragraph per line); inside a line, sentence-ending
    punctuation followed by a likely sentence start does. Offsets are into ``text`` itself.
    """
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\r\n]+", text[start:end]):
        lo, hi = start + line.start(), start + line.end()
        cut = lo
        for m in _BOUNDARY.finditer(text, lo, hi):
            stop = m.end("close") if m.group("close") is not None else m.end("glued")
            if m.group("glued") and m.group("glued")[0] == '"' and text.count('"', cut, m.start("glued")) % 2 == 0:
                stop = m.start("glued")  # no quotation open before it: the straight quote opens the next sentence
            if _ABBREV.search(text[max(lo, m.start() - 6) : m.start() + 1]):
                continue
            _append(text, cut, stop, out)
            cut = stop
        _append(text, cut, hi, out)
    return out


def _append(text: str, lo: int, hi: int, out: list[tuple[int, int]]) -> None:
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    if hi > lo:
        out.append((lo, hi))


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def is_content_word(word: str, acronyms: bool = False) -> bool:
    """Whether ``word`` carries meaning: not a stopword, not a lone letter (a lone digit counts). With
    ``acronyms``, a word in capitals such as US, IT or WHO counts even though "us", "it" and "who" are stopwords."""
    if not word or (len(word) == 1 and not word.isdigit()):
        return False
    return (acronyms and word.isupper()) or word.lower() not in STOPWORDS


def content_words(text: str) -> list[str]:
    """Words that carry meaning: not stopwords, not one-letter; numbers kept (``600,000`` becomes ``600`` ``000``)."""
    return [w for w in words(text) if is_content_word(w)]


def make_span(doc: Document, char_start: int, char_end: int, after: Span | None = None) -> Span:
    """The span of ``doc.text[char_start:char_end]`` with 1-based line numbers (the record's line for json(l)).

    ``after`` is a known span of the same document that starts at or before ``char_start`` (the previous passage,
    or the passage a quote is cut from): lines are then counted from it rather than from the top of the text, so
    numbering all the passages of an article in order reads each newline about once (counting from the top for
    every passage was quadratic: half an hour for a 50 MB article)."""
    if doc.line is not None:
        return Span(char_start, char_end, doc.line, doc.line)
    if after is not None and after.char_start <= char_start:
        line_start = after.line_start + doc.text.count("\n", after.char_start, char_start)
    else:
        line_start = doc.text.count("\n", 0, char_start) + 1
    line_end = line_start + doc.text.count("\n", char_start, max(char_start, char_end - 1))
    return Span(char_start, char_end, line_start, line_end)


def stems(text: str) -> list[str]:
    """Stemmed content words, hyphenated words split into their parts ("33-member" -> "33", "member")."""
    out = []
    for word in content_words(THOUSANDS.sub("", text)):
        for part in word.split("-"):
            if is_content_word(part):
                out.append(stem(part))
    return out


def stem(word: str) -> str:
    """A tiny suffix stripper; it only has to map inflections of one word to one key, not produce real stems."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.rstrip("'")
    # Plural / third person first, then tense, then a final "e": announces -> announce -> announc <- announced.
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    if word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    while word.endswith("e") and len(word) > 3:  # guarantee, guaranteed, guaranteeing -> guarant
        word = word[:-1]
    return word


def near_duplicate(a: set[str], b: set[str], share: float = 0.6) -> bool:
    """Whether two sentences, as sets of stems, share most of the shorter one's words (syndicated copies,
    overlapping chunks, a summary repeating the lede)."""
    return bool(a and b) and len(a & b) / min(len(a), len(b)) > share
