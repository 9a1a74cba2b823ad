"""Which source sentences can stand as an answer: not a heading, a question, a caption or a promo line; where a
dateline or a header label in front of it ends; whether it leans on the sentence before ("It aims...", "This
decision..."); and what kind of answer it holds (a date, a number, a place, a name, a reason, a decision).

Pure functions over one sentence's text; the extractive generator decides with them.
"""

from __future__ import annotations

import re

from briefing.answer.question import AMOUNT, COUNT, WHAT, WHEN, WHERE, WHO, WHY

# A sentence asking something, or a "Label: text" sub-heading ("Opening Remarks: Condolences for ...").
_QUESTION_END = re.compile(r"\?[\"'”’)\]]*$")
_LABEL = re.compile(r"^(?:[A-Z][\w'’&-]*\s+){0,3}[A-Z][\w'’&-]*\s*:\s+\S")
# Photo captions and credits.
_CAPTION = re.compile(
    r"^\(?(?:photo|image|picture|file photo|pictured|above|below|top|left|right|video|watch|listen|graphic|"
    r"illustration|credit|courtesy)\b\s*[:(—–-]|\b(?:getty images|associated press photo|ap photo|afp photo|"
    r"reuters/|/reuters|/ap\b|/afp\b|photo by|photo credit|photo illustration|file photo|pool photo|"
    r"(?:is|are) (?:pictured|seen) (?:here|above|below))",
    re.IGNORECASE,
)
# Promo lines and calls to action that some pages put between paragraphs.
_PROMO = re.compile(
    r"^(?:here'?s|here is|here are|this is) (?:everything|what|all|how|why|who|when|where)\b.{0,60}"
    r"\b(?:know|need|expect|watch|see|learn)\b|^(?:need a break|want more|like this story|don't miss|"
    r"sign up|subscribe|download|follow us|click here|read more|watch:|listen:|get the|support (?:our|local)|"
    r"find out|have a (?:news )?tip|got a tip|do you have)\b|\bplay the [\w ]{0,30}(?:crossword|puzzle|game)",
    re.IGNORECASE,
)
# What stands before the sentence proper: a dateline ("WASHINGTON –", "KYIV, Ukraine (AP) —") or a header
# label the loader left in the text ("date 2025-11-26", "Published: November 26, 2025").
_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40}(?:\([A-Z][\w ]{0,20}\))?\s*[–—―-]+\s+(?=\S)")
_HEADER = re.compile(r"^(?:date|published|updated|posted)\s*:?\s*(?:\d{4}-\d{2}-\d{2}|[A-Z][a-z]+\.? \d{1,2},? "
                     r"\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s+(?=[A-Z\"“])", re.IGNORECASE)
# A sentence that leans on the one before: it opens with a pronoun or "this/that/the move..." with nothing in it
# to refer to, or a connective that continues an argument.
_LEANS = re.compile(
    r"^[\"“]?(?:it|its|this|that|these|those|they|their|them|he|his|she|her|such|both|another|also|but|however|"
    r"still|meanwhile|instead|yet|and|so|then|there|here)\b(?!-)"
    r"|^[\"“]?the (?:move|decision|step|plan|proposal|measure|deal|order|group|company|firm|agency|effort|change|"
    r"announcement|agreement|statement|report|ruling|bill|law|policy|program|initiative|case|incident|attack|"
    r"latter|former|two|three|same|news|idea)\b"
    r"|^(?:[\w'’.-]+\s+){1,4}(?:announced|made|took|defended|criticized|criticised|welcomed|explained|"
    r"justified|confirmed|denied|announc\w*)\s+the (?:move|decision|step|plan|announcement|change|measure)\b",
    re.IGNORECASE,
)
# "It is/was ... that/to": an impersonal "it" refers to nothing before it.
_IMPERSONAL = re.compile(r"^it (?:is|was|will be|would be|has been|had been|remains|seems|appears)\s+"
                         r"(?:\w+\s+){0,3}(?:that|to|whether|unclear|likely|unlikely|possible|expected)\b",
                         re.IGNORECASE)

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = re.compile(rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b")
_LOOSE_DATE = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b(?:19|20)\d{2}\b|"
                         r"\b(?:tomorrow|yesterday|tonight|next (?:week|month|year)|last (?:week|month|year)|this "
                         r"(?:week|month|year))\b|\b\d{1,2}(?::\d{2})?\s*[ap]\.?m\.?")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?!\w)|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|"
                     r"eleven|twelve|dozens?|hundreds?|thousands?|millions?|billions?|half|twice)\b", re.IGNORECASE)
_UNIT = re.compile(r"[$€£¥%]|\b(?:percent|per cent|million|billion|trillion|times|per|years?|months?|weeks?|"
                   r"days?|hours?|troops|people|deaths|votes|points|miles|km|kilometers|kilometres|dollars|euros)\b",
                   re.IGNORECASE)
_PLACE = re.compile(r"\b(?:in|at|from|near|to)\s+(?:the\s+)?[A-Z][\w'’.-]+")
_NAME = re.compile(r"\b[A-Z][a-z'’.-]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][a-z'’-]+)+")
_HOW_MANY_NAMES = re.compile(r"\b(?:which|what|name|the)\s+(two|three|four|five|\d)\b", re.IGNORECASE)
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}
_REASON = re.compile(r"\b(?:because|due to|owing to|citing|cited|fears?|feared|concerns?|worr(?:y|ies|ied)|amid|"
                     r"in order to|so that|as a result|led to|prompted|reason|risks?|to avoid|to prevent|since|"
                     r"after|over)\b", re.IGNORECASE)
_OUTCOME = re.compile(r"\b(?:rejected|rejects|rejecting|approved|ruled|vetoed|announced|agreed|signed|decided|"
                      r"voted|warned|opposed|opposes|refused|denied|confirmed|called|said|says|will|would|must|"
                      r"aims?|plans?|ordered|banned|launched|found|concluded|means?)\b", re.IGNORECASE)


def is_question(sentence: str) -> bool:
    return bool(_QUESTION_END.search(sentence.rstrip()))


def is_label(sentence: str) -> bool:
    """A "Label: text" sub-heading such as "Opening Remarks: Condolences for seven killed ..."."""
    return bool(_LABEL.match(sentence)) and not re.match(r"^[A-Z][\w'’-]*\s+(?:said|says|told|wrote|added)\b",
                                                         sentence)


def is_caption(sentence: str) -> bool:
    return bool(_CAPTION.search(sentence))


def is_promo(sentence: str) -> bool:
    return bool(_PROMO.search(sentence.strip(" \"“”'")))


def never_an_answer(sentence: str) -> bool:
    """Questions, sub-headings, captions and promo lines are never answers."""
    return is_question(sentence) or is_label(sentence) or is_caption(sentence) or is_promo(sentence)


def lead_in(sentence: str) -> int:
    """How many characters of a dateline or header label open ``sentence`` (0 for none): the quote starts
    after them, so "WASHINGTON – President-elect Trump..." is quoted from "President-elect"."""
    for pattern in (_HEADER, _DATELINE):
        m = pattern.match(sentence)
        if m:
            return m.end()
    return 0


def leans_on_previous(sentence: str) -> bool:
    """Whether ``sentence`` needs the one before it to be understood ("It aims to clarify...", "This decision
    ...", "Johnson announced the move..."); an impersonal "It is likely that..." does not."""
    s = sentence.lstrip("\"“'‘ ")
    return bool(_LEANS.search(s)) and not _IMPERSONAL.match(s)


def holds(kind: str, sentence: str, question: str = "") -> float:
    """How well ``sentence`` holds the kind of answer a question part asks for: 1 when it has one that the
    question does not already state (a date for "when", a number for "how many", a new name for "who", a
    place for "where", a reason for "why", a decision or outcome for "what"), 0.5 for a weaker sign, else 0."""
    asked = question.lower()
    if kind in (COUNT, AMOUNT):
        new = [m.group() for m in _NUMBER.finditer(sentence) if m.group().lower() not in asked
               and not re.fullmatch(r"(?:19|20)\d{2}", m.group())]
        if not new:
            return 0.0
        return 1.0 if kind == COUNT or _UNIT.search(sentence) else 0.5
    if kind == WHEN:
        if any(m.group().lower() not in asked for m in _DATE.finditer(sentence)):
            return 1.0  # a calendar date
        return 0.5 if any(m.group().lower() not in asked for m in _LOOSE_DATE.finditer(sentence)) else 0.0
    if kind == WHERE:
        new = [m.group() for m in _PLACE.finditer(sentence) if m.group().split()[-1].lower() not in asked]
        return 1.0 if new else 0.0
    if kind == WHO:
        return min(1.0, len(new_names(sentence, question)) / wanted_names(question))
    if kind == WHY:
        return 1.0 if _REASON.search(sentence) else 0.0
    if kind == WHAT:
        return 0.5 if _OUTCOME.search(sentence) else 0.0
    return 0.0


def new_names(sentence: str, question: str) -> list[str]:
    """Names in ``sentence`` (runs of capitalised words) that the question does not already name."""
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    out = []
    for m in _NAME.finditer(sentence):
        name = [re.sub(r"['’]s$", "", w).lower() for w in m.group().split()]
        if not all(w in asked for w in name[-1:]):
            out.append(m.group())
    return out


def wanted_names(question: str) -> int:
    """How many names a "who" question asks for: "Which three Delawareans..." wants three."""
    m = _HOW_MANY_NAMES.search(question)
    if not m:
        return 1
    word = m.group(1).lower()
    return max(1, int(word)) if word.isdigit() else _COUNT_WORDS[word]


def figures(sentence: str, near: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """The numbers a sentence states, thousands separators dropped, years left out: what two sources could
    disagree on. With ``near`` (stemmed words of the question), only numbers with a unit ("$6 billion", "30%")
    or that one of those words follows within four words: "the 33-member coalition", "34 primarily European
    countries"."""
    from briefing.text import stems

    out = set()
    for m in _NUMBER.finditer(sentence):
        value = m.group().replace(",", "")
        if re.fullmatch(r"(?:19|20)\d{2}", value) or not value[:1].isdigit():
            continue
        after = " ".join(sentence[m.end():].replace("-", " ").split()[:4])
        unit = bool(re.match(r"\s*(?:%|percent|per cent|million|billion|trillion)\b", sentence[m.end():])) \
            or sentence[max(0, m.start() - 1):m.start()] in ("$", "€", "£", "¥")
        if near and not unit and not set(stems(after)) & set(near):
            continue
        out.add(value)
    return out
