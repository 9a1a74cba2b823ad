"""What a question asks: its parts ("Which teams..., and when..."), the kind of answer each part wants (a person,
a date, a number, a place, a reason, a decision), and the named subjects an answer must be about.

Pure functions over strings; the extractive generator and the evidence check share them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefing.text import STOPWORDS, stem, stems

# The kinds of answer a part can ask for.
WHO, WHEN, WHERE, COUNT, AMOUNT, WHY, WHAT = "who", "when", "where", "how many", "how much", "why", "what"

_KINDS = [  # first match wins, so "how many" comes before "how"
    (COUNT, r"\bhow many\b|\bwhat (?:is|was) the (?:number|total|count)\b|\bnumber of\b"),
    (AMOUNT, r"\bhow (?:much|large|big|high|low|long|far|old)\b|\bwhat (?:rate|percentage|share|size|magnitude|"
             r"price|amount|cap|figure|sum)\b|\bwhat (?:is|was|were) the (?:rate|percentage|share|size|magnitude|"
             r"price|amount|cost|figure|sum|toll)\b"),
    (WHEN, r"\bwhen\b|\b(?:what|which) (?:date|day|time|year|month)\b|\bhow soon\b"),
    (WHERE, r"\bwhere\b|\b(?:what|which) (?:city|place|venue|state|town|location|area|region|site|port|airport)\b|"
            r"\bin which\b"),
    (WHY, r"\bwhy\b|\bwhat (?:caused|led to|prompted)\b|\bfor what reason\b|\bhow come\b"),
    (WHO, r"\bwho(?:m|se)?\b|\b(?:which|what) (?:(?:one|two|three|four|five|\d+) )?(?:person|people|official|"
          r"officials|leaders?|compan(?:y|ies)|firms?|chains?|countr(?:y|ies)|teams?|groups?|organi[sz]ations?|"
          r"agenc(?:y|ies)|party|parties|senators?|ministers?|president|members?|\w+(?:ans|ers|ists))\b"),
]
_KIND_RES = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _KINDS]
# Where a question turns to a second thing it asks: ", and what ...", "; when ...", "? Where ...".
_SPLIT = re.compile(r"(?:,\s*(?:and\s+)?|;\s*|[.?]\s+|\s+and\s+(?=(?:what|when|where|who|whom|which|how|why)\b))"
                    r"(?=(?:what|when|where|who|whom|whose|which|how|why|did|does|do|is|are|was|were)\b)",
                    re.IGNORECASE)


# Irregular past forms and their verbs, so "led by France" answers "who leads", "won" "who wins". Forms that are
# also common other words ("left", "rose", "found", "saw", "fell") are left out.
_IRREGULAR = {stem(past): stem(base) for past, base in (
    ("led", "lead"), ("won", "win"), ("met", "meet"), ("began", "begin"), ("begun", "begin"), ("held", "hold"),
    ("told", "tell"), ("took", "take"), ("taken", "take"), ("made", "make"), ("gave", "give"), ("given", "give"),
    ("paid", "pay"), ("sent", "send"), ("spent", "spend"), ("built", "build"), ("bought", "buy"),
    ("chose", "choose"), ("chosen", "choose"), ("ran", "run"), ("went", "go"), ("gone", "go"), ("came", "come"),
    ("knew", "know"), ("known", "know"), ("wrote", "write"), ("written", "write"), ("struck", "strike"),
    ("stood", "stand"), ("lost", "lose"), ("sold", "sell"), ("kept", "keep"), ("brought", "bring"),
    ("thought", "think"), ("caught", "catch"), ("drew", "draw"), ("drawn", "draw"), ("flew", "fly"),
    ("grew", "grow"), ("grown", "grow"), ("threw", "throw"), ("shot", "shoot"), ("fought", "fight"),
    ("sought", "seek"), ("taught", "teach"), ("spoke", "speak"), ("spoken", "speak"), ("broke", "break"),
    ("broken", "break"), ("drove", "drive"), ("driven", "drive"), ("froze", "freeze"), ("frozen", "freeze"),
    ("hid", "hide"), ("hidden", "hide"), ("rang", "ring"), ("sang", "sing"), ("swore", "swear"),
    ("sworn", "swear"), ("wore", "wear"), ("worn", "wear"), ("ate", "eat"), ("eaten", "eat"), ("fled", "flee"),
    ("forgave", "forgive"), ("overtook", "overtake"), ("withdrew", "withdraw"), ("withdrawn", "withdraw"),
    ("understood", "understand"), ("undertook", "undertake"), ("upheld", "uphold"), ("bid", "bid"),
)}


def terms(text: str) -> list[str]:
    """``text.stems`` with irregular past forms as their verb ("led" as "lead"): the words question and
    sentence are compared by."""
    return [_IRREGULAR.get(w, w) for w in stems(text)]


_CUE_STEMS = frozenset({"many", "much", "kind", "type", "sort"})  # words of "how many", "what kind of": no topic


@dataclass(frozen=True)
class Part:
    """One thing a question asks: its words, the kind of answer it wants, its stemmed content words."""

    text: str
    kind: str
    stems: frozenset[str]
    focus: str | None = None  # the stem of the noun the part asks about: "Which three Delawareans" -> delawarean


def kind_of(text: str) -> str:
    """The kind of answer ``text`` asks for (``what`` when nothing more specific is recognised): the earliest
    cue wins, so "Which three Delawareans were among the recipients when..." asks who, not when."""
    found = [(m.start(), i, kind) for i, (kind, pattern) in enumerate(_KIND_RES) if (m := pattern.search(text))]
    return min(found)[2] if found else WHAT


_FOCUS = re.compile(r"\b(?:which|what)\s+(?:(?:one|two|three|four|five|\d+|kind of|type of|sort of)\s+)?"
                    r"([A-Za-z][\w'’-]+)", re.IGNORECASE)


def focus_of(text: str) -> str | None:
    """The stem of the noun right after "which"/"what" ("Which three Delawareans" -> "delawarean", "what
    investment" -> "investment"), when there is one; a verb there ("what did", "what is") names none."""
    m = _FOCUS.search(text)
    if not m:
        return None
    found = terms(m.group(1))
    return found[0] if found and m.group(1).lower() not in _QUESTION_WORDS else None


def parts(question: str) -> list[Part]:
    """The question cut where it turns to another ask: "Which teams will play in Super Bowl LIX, and when and
    where will the game be held?" gives a "who" part, then "when" and "where" parts. A question with one ask is one
    part."""
    pieces = [p.strip(" ,;?") for p in _SPLIT.split(question.strip())]
    pieces = [p for p in pieces if p]
    for i in range(len(pieces) - 1):  # "when and where will it be held": "when will it be held", "where ..."
        m = re.match(r"(?:what|when|where|who|whom|which|how|why)\b(.*)$", pieces[i + 1], re.IGNORECASE)
        if re.fullmatch(r"(?:when|where|who|why|how)", pieces[i], re.IGNORECASE) and m:
            pieces[i] += m.group(1)
    out = []
    for piece in pieces:
        # "when and where will the game be held": one piece, two kinds
        m = re.match(r"(when|where|who|why|how many|how much)\s+and\s+(when|where|who|why|how many|how much)\b"
                     r"(.*)$", piece, re.IGNORECASE)
        chunks = [m.group(1) + m.group(3), m.group(2) + m.group(3)] if m else [piece]
        out += [Part(c, kind_of(c), frozenset(terms(c)) - _CUE_STEMS, focus_of(c)) for c in chunks]
    return out or [Part(question, kind_of(question), frozenset(terms(question)))]


# ---------------------------------------------------------------------------------------------------------------
# Named subjects

_QUESTION_WORDS = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "did", "does", "do",
                   "is", "are", "was", "were", "has", "have", "will", "can", "could", "should", "would", "according",
                   "after", "before", "during", "addressing", "in", "on", "at", "as", "since", "following"}
_CALENDAR = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
             "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
             "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
# Titles and roles: they name no one by themselves, and they separate a demonym from a name ("Polish Prime
# Minister Donald Tusk" is "Polish" + "Donald Tusk").
_TITLES = {"president", "president-elect", "vice", "prime", "minister", "premier", "chancellor", "sen", "senator",
           "rep", "representative", "gov", "governor", "speaker", "secretary", "ceo", "chief", "chair", "chairman",
           "chairwoman", "judge", "justice", "gen", "general", "mayor",
           "dr", "mr", "mrs", "ms", "prof", "professor", "foreign", "defense", "defence", "former", "spokesperson",
           "spokesman", "spokeswoman", "ambassador", "commissioner", "director", "leader", "lawmaker", "official",
           "officials", "attorney", "lt", "col", "sgt", "adm", "st", "sir", "lord", "dame", "coach", "founder",
           "house", "u.s", "us", "usa", "uk", "u.k", "america", "un", "u.n", "eu", "e.u"}
# Demonyms: "American chain", "Ukrainian land" say where from, not who; alone they never decide an answer.
_DEMONYM = re.compile(r"(?:ican|ian|ean|ese|ish|ans)$|^(?:french|dutch|swiss|greek|thai|czech|welsh|arab|cuban|"
                      r"israeli|iraqi|pakistani|saudi|yemeni|somali|kuwaiti|qatari|emirati|nepali|omani|afghan|"
                      r"bangladeshi|filipino|kazakh|uzbek|kurdish|irish|scots|basque|european|russian|german|"
                      r"catalan|latino|latina|hispanic|black|white|asian|native|western|eastern|northern|southern)$",
                      re.IGNORECASE)
_DIRECTIONS = {"north", "south", "east", "west", "central", "upper", "lower", "new"}
_JOINERS = {"of", "the", "de", "du", "la", "von", "van", "bin", "al", "for", "and", "&"}
_TOKEN = re.compile(r"[\w][\w'’.&-]*")
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "inc", "ltd", "co", "corp"}


@dataclass(frozen=True)
class Subject:
    """A named subject of the question ("Donald Tusk", "Australian Open", "Moscow"), and the words that name it."""

    phrase: str
    words: tuple[str, ...]


def _clean(token: str) -> str:
    return re.sub(r"['’]s$", "", token).strip(".'’\"-")


def _capital(token: str) -> bool:
    t = _clean(token)
    return bool(t) and (t[0].isupper() or (t[0].isdigit() and any(c.isupper() for c in t)))


def subjects(question: str) -> list[Subject]:
    """The question's named subjects: runs of capitalised words ("Gulf of Mexico", "Sean 'Diddy' Combs"), split at
    titles, without question words, dates, initials and suffixes. A run that is only a demonym or a title
    ("American", "Polish", "President") is not a subject: soft words never block an answer."""
    text = question.replace("'", " ").replace('"', " ")
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    runs: list[list[str]] = []
    current: list[str] = []
    for i, (tok, start, _) in enumerate(tokens):
        word = _clean(tok)
        low = word.lower()
        cap = _capital(tok)
        if current and re.search(r"[^\w\s'’]", text[tokens[i - 1][2] : start]):
            runs.append(current)  # a comma or a bracket ends a name: "(R-Neb.)", "Distinction, the United States"
            current = []
        if i == 0 and cap and not _first_word_names(tok, tokens):
            continue
        if cap and low not in _TITLES and low not in _CALENDAR and not (i == 0 and low in _QUESTION_WORDS) \
                and low not in _QUESTION_WORDS | STOPWORDS - {"us"}:
            current.append(word)
            continue
        if current and low in _JOINERS and i + 1 < len(tokens) and _capital(tokens[i + 1][0]) \
                and _clean(tokens[i + 1][0]).lower() not in _TITLES:
            current.append(low)
            continue
        if current:
            runs.append(current)
        current = []
    if current:
        runs.append(current)
    out = []
    for run in runs:
        while run and run[-1] in _JOINERS:
            run = run[:-1]
        while run and run[0].lower() in _JOINERS:
            run = run[1:]
        names = tuple(w for w in run if w.lower() not in _JOINERS and w.lower() not in _SUFFIXES
                      and not re.fullmatch(r"[A-Z]\.?", w))
        if not names:
            continue
        if re.fullmatch(r"[RDI]-[A-Z][a-z]{1,4}", names[0]) and len(names) == 1:
            continue  # "(R-Neb.)": a party and state
        if all(_DEMONYM.search(w) or w.lower() in _DIRECTIONS for w in names) or names[0].isdigit():
            continue  # "American", "South Korean": where from, not who
        out.append(Subject(" ".join(run), names))
    return list({s.phrase.lower(): s for s in out}.values())


def is_soft(word: str) -> bool:
    """Whether a capitalised word is a demonym or a title ("American", "Polish", "Senator"), which never blocks
    an answer by its absence."""
    low = word.lower().strip(".")
    return bool(_DEMONYM.search(word)) or low in _TITLES or low in _DIRECTIONS


def _first_word_names(token: str, tokens: list) -> bool:
    """Whether a question's capitalised first word is a name rather than capitalised for being first:
    an acronym ("NASA"), a word with an inner capital ("TikTok"), a possessive ("Australia's") or the start of
    a longer name ("Blue Origin")."""
    word = _clean(token)
    return (word.isupper() and len(word) > 1) or any(c.isupper() for c in word[1:]) \
        or bool(re.search(r"['’]s$", token)) or (len(tokens) > 1 and _capital(tokens[1][0]))


def _words_of(text: str) -> set[str]:
    return {w.lower().replace("’", "'").strip(".'-") for w in _TOKEN.findall(text)}


def _word_present(word: str, vocabulary: set[str]) -> bool:
    key = word.lower().replace(".", "")
    if key in vocabulary:
        return True
    # "China" should match "Chinese", "Ukraine" "Ukrainian", "Delaware" "Delawareans": a stem and word prefixes
    stem = key[: max(4, len(key) - 2)] if len(key) > 4 else None
    return stem is not None and any(w.startswith(stem) for w in vocabulary)


# Head nouns of place, event and institution names: "Dingri County", "Australian Open", "Drents Museum" are not
# mentioned by "Wilcox County" or "the French Open", so such a name needs its specific words.
_GENERIC_HEADS = frozenset("""county city state province region district island islands bay river lake mount
    mountain mountains valley open cup championship championships bowl games olympics awards award prize festival
    museum university college school institute center centre council committee court party ministry department
    agency association union league conference summit forum hospital airport station street road park square tower
    bridge hall church group company bank fund foundation act bill law treaty agreement accord plan program
    programme project initiative force forces army navy guard police office service services board commission
    senate assembly parliament congress republic kingdom strait sea ocean gulf coast peninsula desert forest canyon
    falls peak day week season series trophy medal race marathon tour show film club stadium arena""".split())


def _acronym_spelled(acronym: str, text: str) -> bool:
    """Whether capitalised words of ``text`` spell ``acronym``: "HHS" in "Health and Human Services"."""
    pattern = r"\b" + r"\W+(?:(?:and|of|the|for|&)\W+)?".join(f"{c}[a-z]+" for c in acronym) + r"\b"
    return re.search(pattern, text) is not None


def mentions(text: str, subject: Subject) -> bool:
    """Whether ``text`` mentions ``subject``: the whole phrase; an acronym spelled out ("Health and Human
    Services" for HHS); for a name of several words, its last word used as a name there (capitalised and never
    lower-case: "Tusk", "Kennedy") unless it is a generic head ("County", "Open", "Museum"), which needs every
    specific word, never a demonym alone; or more than half of its words ("Royal United Services think tank" for
    "Royal United Services Institute")."""
    flat = " ".join(text.replace("’", "'").split())
    if re.search(r"(?<!\w)" + re.escape(subject.phrase) + r"(?!\w)", flat, re.IGNORECASE):
        return True
    vocabulary = {w.replace(".", "") for w in _words_of(flat)}
    if len(subject.words) == 1:
        word = subject.words[0]
        if word.isupper() and 2 <= len(word) <= 6 and word.isalpha() and _acronym_spelled(word, flat):
            return True
        return _word_present(word, vocabulary)
    last = subject.words[-1]
    if last.lower() in _GENERIC_HEADS:
        specific = [w for w in subject.words if w.lower() not in _GENERIC_HEADS]
        return bool(specific) and not all(_DEMONYM.search(w) for w in specific) \
            and all(_word_present(w, vocabulary) for w in specific)
    if len(last) > 2 and re.search(r"(?<!\w)" + re.escape(last) + r"(?!\w)", flat) \
            and not re.search(r"(?<!\w)" + re.escape(last.lower()) + r"(?!\w)", flat):
        return True
    return sum(_word_present(w, vocabulary) for w in subject.words) * 2 > len(subject.words)
