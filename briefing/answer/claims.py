"""Claim-level support: does the text a sentence cites state what the sentence says?

``judge(claim, passages)`` takes a sentence and the passages it cites and says whether their union supports it, and
if not, why. Each passage contributes its best window (a sentence or two adjacent sentences, as ``best_window``
picks by word overlap) and, when the claim draws on a second place of the same passage, one more window. Against
that support text, in this order:

- **names**: every named entity of the sentence (people, organisations, places, countries, demonyms) is in the
  cited passages, with the usual aliases: a surname alone or a title and surname for a full name; "Britain", "Great
  Britain", "UK", "United Kingdom", "British"; "US", "U.S.", "United States", "America", "American"; a country and
  its demonym ("France"/"French"). The sentence's actor (the name that opens it, "Macron announced ...") must be in
  the window sentence that states the rest of the claim, or that sentence must refer to it by a pronoun right after
  naming it: otherwise the actor is swapped;
- **quantities** (``answer/numbers.py``): every figure matches by value and kind: "forty-seven" is not "33",
  "€210 billion" is "210 billion euros";
- **polarity**: a negator or polarity word (not, no, never, without, denied, rejected, failed, refused, ...) in
  the sentence needs one in the support text, and a negator of the support text whose words the sentence reuses
  needs one in the sentence ("no role" against "vital role", "placed restrictions" against "no restrictions");
- **new content**: a modifier swapped for another ("Russian forces" where the text says "multinational forces"), a
  clause whose words the text does not have ("which Russia has agreed to join"), two or more unstated content words
  in a row, or too few of the sentence's words in the text overall (``min_support``).

Rules are lexical and deliberately strict: a false "supported" is the worst outcome; a true paraphrase that fails
is shown as ``[n?]`` next to the passage's own words. A few light words ("take part", "make") and common synonyms
of news verbs ("announced"/"unveiled", "said"/"stated") count as stated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from dataclasses import dataclass
from functools import lru_cache

from briefing.answer import numbers
from briefing.text import STOPWORDS, THOUSANDS, is_content_word, sentences, stem

# Share of a claim's content words its cited windows must contain. tests/test_cite.py::SUPPORT_TABLE holds the
# evidence: faithful paraphrases score 0.75-1.0; claims from another passage of the same story 0.0-0.45 (shared
# names); a claim half taken from elsewhere 0.5. The other rules catch what overlap cannot see.
MIN_SUPPORT = 0.6

# Words whose presence flips what a clause says.
NEGATORS = frozenset("""not no never without nobody none nothing neither nor cannot unable deny denies denied
    denying reject rejects rejected rejecting refuse refuses refused refusing fail fails failed failing lack lacks
    lacked absent ruled dismiss dismissed dismisses stop stops stopped ceased halted halts abandoned scrapped""".split())
_TITLES = frozenset("""mr mrs ms dr prof president prime minister secretary chancellor foreign defence defense
    senator sen rep gov governor king queen pope general gen judge chief executive deputy vice state interior
    finance minister's spokesman spokeswoman spokesperson ambassador envoy mayor leader premier lord lady sir
    commissioner director chairman chairwoman chair ceo representative official officials""".split())
_CONNECTORS = frozenset("of de von der van al bin la le du da del di".split())
_PRONOUNS = frozenset("he she they it we i his her their its".split())
# Light words carry no claim of their own; synonyms of common news verbs and nouns share one key.
_LIGHT = frozenset(stem(w) for w in """take part make give get put set keep hold come go become include well way
    thing also already still even just really further since""".split())
_SYNONYMS = [
    "announce unveil launch present reveal", "say state tell add note declare stress emphasize emphasise remark",
    "warn caution", "criticize criticise condemn slam", "back support endorse", "country nation",
    "troop soldier", "talk negotiation", "meeting summit", "create form establish", "lead head",
    "help aid assist", "big large major", "begin start", "end finish", "buy purchase acquire",
    "rise increase grow", "fall drop decrease", "kill slay", "plan proposal", "pledge promise commit vow",
    "urge call", "aim seek", "guarantee assurance", "killed dead", "ask request", "meet gather",
]
_SYNONYM_KEY = {stem(w): group.split()[0] for group in _SYNONYMS for w in group.split()}

_ALIAS_GROUPS = [
    "uk|u.k.|britain|great britain|united kingdom|british|briton|britons",
    "us|u.s.|usa|u.s.a.|united states|united states of america|america|american|americans",
    "eu|e.u.|european union", "un|u.n.|united nations", "nato|north atlantic treaty organization",
]
_DEMONYMS = """france french|germany german germans|russia russian russians|ukraine ukrainian ukrainians|china chinese|
    japan japanese|italy italian italians|spain spanish|poland polish|turkey turkish|canada canadian canadians|
    belgium belgian|israel israeli israelis|iran iranian iranians|india indian indians|europe european europeans|
    brazil brazilian|mexico mexican|korea korean|netherlands dutch|sweden swedish|norway norwegian|finland finnish|
    denmark danish|greece greek|hungary hungarian|syria syrian|egypt egyptian|palestine palestinian palestinians|
    lebanon lebanese|australia australian|switzerland swiss|austria austrian|ireland irish|portugal portuguese|
    pakistan pakistani|saudi arabia saudi saudis|qatar qatari|lithuania lithuanian|latvia latvian|estonia estonian|
    romania romanian|moldova moldovan|belarus belarusian|georgia georgian|taiwan taiwanese|vietnam vietnamese|
    afghanistan afghan|iraq iraqi|yemen yemeni|venezuela venezuelan|cuba cuban|argentina argentine|
    nigeria nigerian|kenya kenyan|south africa south african|gaza gazan|scotland scottish|wales welsh"""
_ALIAS: dict[str, str] = {}
for _group in _ALIAS_GROUPS:
    for _name in _group.split("|"):
        _ALIAS[_name.replace(".", "")] = _group.split("|")[0]
for _group in _DEMONYMS.split("|"):
    _names = _group.split()
    _country = " ".join(_names[:2]) if _names[:2] in (["saudi", "arabia"], ["south", "africa"]) else _names[0]
    for _name in [_country] + _names[len(_country.split()):] + ([_names[0]] if _country != _names[0] else []):
        _ALIAS.setdefault(_name, _country)
    if _country == "south africa":
        _ALIAS["south african"] = _country
_ALIAS_MAX = max(len(k.split()) for k in _ALIAS)

# initials ("F."), abbreviations before a name or number ("No. 7", "Sen."), dotted acronyms ("U.S.") are one token
_ABBREVIATED = r"(?:No|Nos|Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|St|Mt|Jr|Sr|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\."
_TOKEN = re.compile(r"[A-Za-z](?:\.[A-Za-z])+\.?|\b[A-Z]\.(?=\s+[A-Z])|\b" + _ABBREVIATED
                    + r"|[\w][\w'’-]*|[,;:()–—]|\s-\s|[.!?]")
_SUFFIXES = frozenset("jr sr ii iii iv".split())  # "Robert F. Kennedy Jr." is named by "Kennedy" alone
_CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december""".split())
_LINKS = frozenset("of in on for with to from at by the a an".split())
_DETERMINERS = frozenset("the a an its their his her our your this that these those".split())
_CLAUSE_WORDS = frozenset("which who whom whose where while whereas although though because but unless".split())


@dataclass(frozen=True)
class Verdict:
    """Whether the cited passages support the claim; ``reasons`` say why not (``{where}`` stands for the
    citation marks); per passage, its best quote window and whether it states any of the claim."""

    supported: bool
    reasons: tuple[str, ...]
    windows: tuple[tuple[int, int] | None, ...]
    contributes: tuple[bool, ...]


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower().replace("’", "'").removesuffix("'s").rstrip("'").replace(".", "")

    @property
    def word(self) -> bool:
        return self.text[0].isalnum()


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[_Tok, ...]:
    return tuple(_Tok(m.group().strip() or "-", m.start(), m.end()) for m in _TOKEN.finditer(text))


@lru_cache(maxsize=65536)
def key(word: str) -> str:
    """The comparison key of one word: stemmed, -ise/-ize and -our/-or folded, common synonyms merged."""
    k = stem(word.lower().replace("’", "'"))
    k = re.sub(r"(?<=[a-z]{3})is$", "iz", k)
    k = re.sub(r"(?<=[a-z]{2})our$", "or", k)
    return _SYNONYM_KEY.get(k, k)


@lru_cache(maxsize=4096)
def keys(text: str) -> frozenset[str]:
    """The keys of ``text``'s content words, hyphenated words also by their parts ("33-member": 33, member)."""
    out = set()
    for t in _tokens(THOUSANDS.sub("", text)):
        if t.word:
            for w in {t.low, *t.low.split("-")}:
                if is_content_word(w.strip("'-")):
                    out.add(key(w.strip("'-")))
    return frozenset(out)


def windows(text: str) -> list[tuple[int, int]]:
    """Each sentence of ``text``, then each pair of adjacent sentences."""
    sents = sentences(text)
    return sents + [(a[0], b[1]) for a, b in zip(sents, sents[1:])]


def best_window(claim: str, text: str) -> tuple[float, tuple[int, int] | None]:
    """The window of ``text`` sharing most of the claim's content words, and that share; on ties a single sentence,
    then the one sharing most of all the claim's words ("not", "own" included), then the earliest. ``None`` when
    ``text`` has no sentence."""
    sents = sentences(text)
    wins = sents + [(a[0], b[1]) for a, b in zip(sents, sents[1:])]
    if not wins:
        return 0.0, None
    wanted = keys(claim)
    every = _all_words(claim)
    best_rank, best_score, best = None, 0.0, wins[0]
    for i, (lo, hi) in enumerate(wins):
        score = len(wanted & keys(text[lo:hi])) / len(wanted) if wanted else 0.0
        rank = (score, i < len(sents), len(every & _all_words(text[lo:hi])))
        if best_rank is None or rank > best_rank:
            best_rank, best_score, best = rank, score, (lo, hi)
    return best_score, best


def _all_words(text: str) -> frozenset[str]:
    return frozenset(key(t.low) for t in _tokens(text) if t.word)


def judge(claim: str, passages: Sequence[str], min_support: float = MIN_SUPPORT,
          published: Sequence[date | None] = ()) -> Verdict:
    """Whether the union of ``passages`` (the texts a sentence cites) supports ``claim``; see the module doc.
    ``published``: the cited articles' publication dates, which state the month and year their text leaves out
    ("on Tuesday" in an article of 7 January 2025 is in January 2025); never the day."""
    wanted = keys(claim)
    picked: list[tuple[int, int] | None] = []
    for text in passages:
        picked.append(best_window(claim, text)[1])
    shares = [len(wanted & keys(t[w[0]:w[1]])) if w else 0 for t, w in zip(passages, picked)]
    need = min(2, len(wanted))
    lead = max(range(len(passages)), key=lambda i: shares[i], default=0)
    lead_keys = keys(passages[lead][picked[lead][0]:picked[lead][1]]) if passages and picked[lead] else set()
    # A citation holds only if its passage states part of the claim: two of its words at least, and either
    # something the best passage does not, or most of the claim by itself (a second copy of the same report).
    contributes = tuple(
        need > 0 and shares[i] >= need and (i == lead or bool((wanted & keys(t[w[0]:w[1]])) - lead_keys)
                                            or shares[i] >= min_support * len(wanted))
        for i, (t, w) in enumerate(zip(passages, picked)))
    if not any(contributes):
        return Verdict(False, ("{where} does not state it",), tuple(picked), contributes)
    spans: list[tuple[str, list[tuple[int, int]]]] = []
    for text, w, ok in zip(passages, picked, contributes):
        if ok:
            spans.append((text, [w]))
    _add_second_windows(wanted, spans)
    # the month and year only: "the inauguration on January 14" is not stated by an article of January 14
    dated = " ".join(f"{d:%B} {d.year}." for d in dict.fromkeys(published) if d is not None)
    reasons = _reasons(claim, wanted, spans, min_support, dated)
    return Verdict(not reasons, tuple(reasons), tuple(picked), contributes)


def _add_second_windows(wanted: set[str], spans: list[tuple[str, list[tuple[int, int]]]]) -> None:
    """Per passage, one more window when it states at least two claim words that no chosen window has."""
    covered = set().union(*(keys(t[lo:hi]) for t, ws in spans for lo, hi in ws))
    for text, ws in spans:
        lo0, hi0 = ws[0]
        best, gain = None, set()
        for lo, hi in windows(text):
            if hi <= lo0 or lo >= hi0:
                new = (wanted - covered) & keys(text[lo:hi])
                if len(new) > len(gain):
                    best, gain = (lo, hi), new
        if best is not None and len(gain) >= 2:
            ws.append(best)
            covered |= gain


def _reasons(claim: str, wanted: set[str], spans, min_support: float, dated: str = "") -> list[str]:
    support = "\n".join(t[lo:hi] for t, ws in spans for lo, hi in ws)
    whole = "\n".join(t for t, _ in spans) + "\n" + dated
    toks = _tokens(claim)
    reasons: list[str] = []
    entities = _entities(toks)
    have_whole = _name_index(whole)
    have = _name_index(support)
    swapped = _swapped_modifiers(toks, support)
    entity_words = set()
    for ent in entities:
        entity_words |= {key(t.low) for t in ent}
        miss = _missing_name(ent, have_whole)
        if miss and not any(miss.lower() in s.lower() for s in swapped):
            reasons.append(f"'{miss}' is not in {{where}}")
    actor = _actor(toks, entities)
    if actor and not reasons:
        wrong = _swapped_actor(actor, _verb(toks, actor), wanted, spans)
        if wrong:
            reasons.append(wrong)
    instead = {q.text: others for q, others in numbers.unmatched(claim, support)}  # what the text says instead
    for q, _ in numbers.unmatched(claim, support + "\n" + dated):
        others = instead.get(q.text, [])
        alt = ", ".join(list(dict.fromkeys(f"'{o.text}'" for o in others))[:3])
        reasons.append(f"'{q.text}' vs {alt} in {{where}}" if alt else f"'{q.text}' is not in {{where}}")
    reasons += _polarity(toks, support)
    reasons += [f"{s} in {{where}}" for s in swapped]
    present = keys(support) | (entity_words & keys(whole)) | _alias_keys(have) | keys(dated)
    # a name the passages give (as initials, a demonym, the surname alone) is stated whole: "HHS", "Robert F. Kennedy"
    present |= {key(t.low) for ent in entities if not _missing_name(ent, have_whole) for t in ent}
    reasons += _new_content(claim, toks, present, bool(reasons))
    reasons = _drop_covered(reasons)
    if wanted and not reasons:
        share = len(wanted & (present | _LIGHT)) / len(wanted)
        if share < min_support:
            reasons.append(f"only {share:.0%} of its words are in {{where}}")
    return reasons


_NOT_IN = " is not in {where}"


def _drop_covered(reasons: list[str]) -> list[str]:
    """Without "'Russia' is not in [1]" when "'which Russia has agreed to join' is not in [1]" says it already."""
    missing = [r[: -len(_NOT_IN)].strip("'") for r in reasons if r.endswith(_NOT_IN)]
    return [r for r in reasons if not (r.endswith(_NOT_IN) and any(
        r[: -len(_NOT_IN)].strip("'") in m and r[: -len(_NOT_IN)].strip("'") != m for m in missing))]


def _is_cap(t: _Tok) -> bool:
    return t.word and t.text[0].isupper() and len(t.text) > 1


def _entities(toks: Sequence[_Tok]) -> list[list[_Tok]]:
    """Runs of capitalised words (with "of", "von der" ... inside), titles kept; a sentence's first word only
    when it is not a common word ("The", "Analysts" lower-cased is a stopword or not a name: left to the word
    checks)."""
    out: list[list[_Tok]] = []
    run: list[_Tok] = []
    for i, t in enumerate(toks):
        first = i == 0 or not toks[i - 1].word and toks[i - 1].text in ".!?"
        if _is_cap(t) and not (first and (t.low in STOPWORDS or t.low in _TITLES and not
                                          (i + 1 < len(toks) and _is_cap(toks[i + 1])))):
            run.append(t)
            continue
        if run and t.low in _CONNECTORS and i + 1 < len(toks) and _is_cap(toks[i + 1]):
            run.append(t)
            continue
        if run:
            out.append(run)
        run = []
    if run:
        out.append(run)
    trimmed = [[t for j, t in enumerate(r) if t.low not in _CONNECTORS or 0 < j < len(r) - 1] for r in out]
    return [r for r in trimmed if r]


@lru_cache(maxsize=1024)
def _name_index(text: str) -> frozenset[str]:
    """Lower-cased words of ``text`` and their alias keys ("great britain" -> "uk")."""
    toks = [t for t in _tokens(text) if t.word]
    low = [t.low for t in toks]
    out = set(low) | _initialisms(toks)
    for n in range(1, _ALIAS_MAX + 1):
        for i in range(len(low) - n + 1):
            alias = _ALIAS.get(" ".join(low[i:i + n]))
            if alias:
                out.add("=" + alias)
    return frozenset(out)


def _initialisms(toks: Sequence[_Tok]) -> set[str]:
    """The initials of every stretch of two or more capitalised words, "of", "and", "for", "the" left out (the
    "Department of Health and Human Services" gives "dhhs", "hhs", "hs"...): how acronyms are formed."""
    out: set[str] = set()
    run: list[str] = []
    for t in [*toks, _Tok("-", 0, 0)]:
        if _is_cap(t):
            run.append(t.low[0])
            continue
        if run and t.low in ("of", "and", "for", "the", "on"):
            continue
        for i in range(len(run)):
            for j in range(i + 2, len(run) + 1):
                out.add("".join(run[i:j]))
        run = []
    return out


def _alias_keys(index: set[str]) -> set[str]:
    """Every word that names something the text names under another alias: "Britain" counts when it says UK."""
    names = {a[1:] for a in index if a.startswith("=")}
    return {key(w) for name, canon in _ALIAS.items() if canon in names for w in name.split()}


def _missing_name(ent: Sequence[_Tok], have: set[str]) -> str | None:
    """The part of a name the text lacks (the surname when it lacks the person), or None when it is there."""
    low = [t.low for t in ent]
    for n in range(len(low), 0, -1):  # an alias covering the name or its head ("French President" -> France)
        for i in range(len(low) - n + 1):
            alias = _ALIAS.get(" ".join(low[i:i + n]))
            if alias and n == len(low) - sum(1 for w in low if w in _TITLES):
                return None if "=" + alias in have else " ".join(t.text for t in ent[i:i + n])
    words = [t for t in ent if t.low not in _TITLES and t.low not in _CONNECTORS and t.low not in _SUFFIXES
             and len(t.low) > 1]
    if not words:
        return None
    missing = [t for t in words if t.low not in have and "=" + _ALIAS.get(t.low, "\0") not in have
               and not _demonym_of(t.low, have)]
    if not missing or len(words) > 1 and words[-1] not in missing and words[-1].low not in _CALENDAR:
        return None  # the surname alone names the person ("Kennedy" for "Robert F. Kennedy Jr.")
    if words[-1] in missing:
        return words[-1].text
    return " ".join(t.text for t in missing)


def _demonym_of(word: str, have: set[str]) -> bool:
    """Whether ``word`` names the people of a place ``have`` names: "Delawareans" (Delaware), "Texans" (Texas),
    "New Yorkers" (York), "Californians" (California)."""
    m = re.fullmatch(r"([a-z]{4,}?)(?:ians?|ans?|ers?|ns?)", word)
    return bool(m) and any(w.startswith(m.group(1)) and w != word for w in have)


def _actor(toks: Sequence[_Tok], entities: Sequence[Sequence[_Tok]]) -> list[_Tok] | None:
    """The name that opens the sentence as its subject ("Macron announced", "The French president said"), when
    a lower-case word (its verb) follows; a demonym or place used as a modifier is not an actor."""
    if not entities:
        return None
    ent = entities[0]
    words = [t for t in toks if t.word]
    lead = words[: words.index(ent[0])] if ent[0] in words else []
    if any(t.low not in ("the", "a", "an") and t.low not in _TITLES for t in lead):
        return None
    after = list(toks).index(ent[-1]) + 1
    if after >= len(toks) or not toks[after].word or _is_cap(toks[after]) or not _verb_like(toks[after].low):
        return None
    names = [t for t in ent if t.low not in _TITLES]
    if not names or len(names) == 1 and _ALIAS.get(names[0].low, names[0].low) != names[0].low:
        return None  # "British officials said": a demonym modifies the subject, it is not the subject
    return names


_AUXILIARIES = frozenset("""is are was were be been has have had do does did will would can could may might must
    shall should said told met made took gave won lost held led sent began became left kept ran saw spoke wrote came
    went got put set hit cut struck sought fought brought thought paid rose fell drove chose grew knew threw drew
    stood built spent meant felt dealt heard found also not never""".split())


def _verb_like(word: str) -> bool:
    """Whether the word after a name can be its verb ("Macron *announced*", "Trump *says*", "Merz *will*"), not a
    noun the name modifies ("the College Football Playoff *championship*")."""
    return word in _AUXILIARIES or word.endswith(("ed", "s")) and not word.endswith(("ss", "us", "is"))


def _swapped_actor(actor: Sequence[_Tok], verb: str | None, wanted: set[str], spans) -> str | None:
    """The actor must be named in the support sentence that states the claim's verb, else the one that states
    most of the rest of the claim (or just before it, when that sentence refers to it by a pronoun)."""
    rest = wanted - {key(t.low) for t in actor}
    if not rest:
        return None
    best, best_text, before = -1, "", ""
    for text, ws in spans:
        for lo, hi in ws:
            for a, b in sentences(text, lo, hi):
                score = len(rest & keys(text[a:b])) + (100 if verb and verb in keys(text[a:b]) else 0)
                if score > best:
                    prev = sentences(text, 0, a)
                    best, best_text = score, text[a:b]
                    before = text[prev[-1][0]:prev[-1][1]] if prev else ""
    if best <= 0:
        return None
    names = _name_index(best_text)
    if not _missing_name(actor, names):
        return None
    lows = {t.low for t in _tokens(best_text)}
    if lows & _PRONOUNS and not _missing_name(actor, _name_index(before)):
        return None
    if lows & {"he", "she"} and any(_last_named(text[:text.find(best_text)], actor) for text, _ in spans
                                    if best_text in text):
        return None  # "In the letter, she praised ...": the person the passage named last is the actor
    others = [[t.text for t in e if t.low not in _TITLES and t.low not in _ALIAS and t.low not in _CALENDAR]
              for e in _entities(_tokens(best_text))]
    others = [o[-1] for o in others if o]
    who = f" vs '{others[0]}'" if others else ""
    return f"swapped actor: '{' '.join(t.text for t in actor)}'{who} in {{where}}"


def _last_named(text: str, actor: Sequence[_Tok]) -> bool:
    """Whether the last name ``text`` gives (not a date, place or title) is ``actor``'s: whom a following "he" or
    "she" refers to."""
    names = [e for e in _entities(_tokens(text))
             if any(t.low not in _TITLES and t.low not in _ALIAS and t.low not in _CALENDAR for t in e)]
    return bool(names) and not _missing_name(actor, _name_index(" ".join(t.text for t in names[-1])))


def _verb(toks: Sequence[_Tok], actor: Sequence[_Tok]) -> str | None:
    """The key of the first content word after the actor ("Macron *announced*", "the Senate has not yet *voted*"),
    or None when that is not a plain lower-case word."""
    for t in toks[toks.index(actor[-1]) + 1:]:
        if not t.word or _is_cap(t):
            return None
        if t.low not in STOPWORDS and t.low not in NEGATORS and t.low not in ("yet", "also", "still"):
            return key(t.low)
    return None


def _negators(toks: Sequence[_Tok]) -> list[int]:
    return [i for i, t in enumerate(toks) if t.word and (t.low in NEGATORS or t.low.endswith("n't"))]


def _scope(toks: Sequence[_Tok], i: int, n: int = 3) -> list[_Tok]:
    """The content words after a negator, up to ``n``, within its clause."""
    out = []
    for t in toks[i + 1:]:
        if not t.word:
            break
        if t.low not in STOPWORDS and t.low not in NEGATORS:
            out.append(t)
            if len(out) == n:
                break
    return out


def _polarity(toks: Sequence[_Tok], support: str) -> list[str]:
    stoks = _tokens(support)
    mine, theirs = _negators(toks), _negators(stoks)
    if mine and not theirs:
        i = mine[0]
        phrase = " ".join(t.text for t in [toks[i]] + _scope(toks, i, 1))
        return [f"negated: '{phrase}' but {{where}} says no such thing"]
    if theirs and not mine:
        claim_keys = {key(t.low) for t in toks if t.word}
        for i in theirs:
            scope = _scope(stoks, i)
            if any(key(t.low) in claim_keys for t in scope):
                phrase = " ".join(t.text for t in [stoks[i]] + scope)
                return [f"negated: {{where}} says '{phrase}'"]
    return []


def _swapped_modifiers(toks: Sequence[_Tok], support: str) -> list[str]:
    """ "'Russian forces' vs 'multinational forces'": a claim word right before a word the support has, where the
    support puts another word of its own in that place."""
    stoks = [t for t in _tokens(support)]
    skeys = {key(t.low) for t in stoks if t.word}
    sidx = _name_index(support)
    claim_keys = {key(t.low) for t in toks if t.word}
    out = []
    for i, (a, b) in enumerate(zip(toks, toks[1:])):
        if not (a.word and b.word) or a.low in STOPWORDS or b.low in STOPWORDS or a.low in NEGATORS:
            continue
        ka, kb = key(a.low), key(b.low)
        if ka in skeys or kb not in skeys or ka in _LIGHT or "=" + _ALIAS.get(a.low, "\0") in sidx:
            continue
        if _is_cap(a) and a.low not in _ALIAS:
            continue  # a name, not a modifier: the name check reports it
        if a.low.endswith("ly"):
            continue  # an adverb ("mostly European"): degree, not a different thing
        if a.low.endswith(("ed", "ing")) and (i == 0 or toks[i - 1].low not in _DETERMINERS):
            continue  # most likely a verb and its object ("offered condolences"); "the armed forces" is checked
        for x, y in zip(stoks, stoks[1:]):
            if y.word and key(y.low) == kb and x.word and x.low not in STOPWORDS and key(x.low) not in claim_keys \
                    and x.low not in NEGATORS and not x.text[0].isdigit():
                out.append(f"'{a.text} {b.text}' vs '{x.text} {y.text}'")
                break
    return out + _swapped_objects(toks, stoks, skeys, claim_keys)


def _swapped_objects(toks: Sequence[_Tok], stoks: Sequence[_Tok], skeys: set[str], claim_keys: set[str]
                     ) -> list[str]:
    """ "'amount of vitamin' vs 'amount of melatonin'": after the same word and preposition, the support names
    something else."""
    out = []
    for i, t in enumerate(toks):
        if not t.word or t.low in STOPWORDS or key(t.low) in skeys or key(t.low) in _LIGHT or t.text[0].isdigit() \
                or _is_cap(t) and t.low not in _ALIAS:
            continue
        j = i - 1
        while j >= 0 and toks[j].word and toks[j].low in _LINKS:
            j -= 1
        gap = [x.low for x in toks[j + 1:i]]
        if j < 0 or not gap or not toks[j].word or toks[j].low in STOPWORDS or key(toks[j].low) not in skeys:
            continue
        head = key(toks[j].low)
        for k, x in enumerate(stoks):
            end = k + 1 + len(gap)
            if x.word and key(x.low) == head and end < len(stoks) and [y.low for y in stoks[k + 1:end]] == gap:
                y = stoks[end]
                if y.word and y.low not in STOPWORDS and key(y.low) not in claim_keys and not y.text[0].isdigit():
                    out.append(f"'{' '.join(z.text for z in toks[j:i + 1])}' vs "
                               f"'{' '.join(z.text for z in stoks[k:end + 1])}'")
                    break
    return out


def _clauses(toks: Sequence[_Tok]) -> list[list[_Tok]]:
    out: list[list[_Tok]] = [[]]
    for t in toks:
        if not t.word or t.low in _CLAUSE_WORDS:
            if out[-1]:
                out.append([])
            if not t.word:
                continue
        out[-1].append(t)
    return [c for c in out if c]


def _new_content(claim: str, toks: Sequence[_Tok], present: set[str], already: bool) -> list[str]:
    """Clauses the support does not state, and runs of two or more unstated content words."""
    def content(t: _Tok) -> bool:
        return t.word and t.low not in STOPWORDS and t.low not in NEGATORS and not t.text[0].isdigit() \
            and len(t.low) > 1 and key(t.low) not in _LIGHT and not numbers.quantities(t.text)

    def missing(t: _Tok) -> bool:
        return content(t) and key(t.low) not in present and all(key(p) not in present for p in t.low.split("-"))

    out = []
    for clause in _clauses(toks):
        words = [t for t in clause if content(t)]
        gone = [t for t in words if missing(t)]
        text = claim[clause[0].start:clause[-1].end]
        if len(gone) >= 2 and len(gone) * 2 >= len(words):
            out.append(f"'{text}' is not in {{where}}")
            continue
        run: list[_Tok] = []
        for t in clause:
            if missing(t):
                run.append(t)
            elif content(t):
                if len(run) >= 2 and not already:
                    out.append(f"'{claim[run[0].start:run[-1].end]}' is not in {{where}}")
                run = []
        if len(run) >= 2 and not already:
            out.append(f"'{claim[run[0].start:run[-1].end]}' is not in {{where}}")
    return out
