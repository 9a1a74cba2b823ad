"""Who said what: the named speaker of a sentence, and the speakers of a window with their most salient statements."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from briefing.memo.pool import Salience, Sentence, pick

# Present-tense "states", "promises", "claims" are left out: in news they are mostly nouns.
_SPEECH = (r"said|says|told|tells|stated|announced|announces|argued|argues|warned|warns|promised|"
           r"added|adds|emphasi[sz]ed|stressed|noted|urged|insisted|claimed|confirmed|denied|acknowledged|"
           r"explained|wrote|revealed|declared|cautioned|vowed|asserted|admitted|reiterated|informed|"
           r"predicted|countered|replied|conceded")
_SPEECH_RE = re.compile(rf"\b(?:{_SPEECH})\b")
_NAME_WORD = r"(?:[A-Z][\w'’-]*\.?|[A-Z]\.|von|van|der|de|da|di|del|bin|al|la|le|of)"
_NAME = rf"(?:{_NAME_WORD}\s+){{0,6}}[A-Z][\w'’-]+"
# A lower-case role between an organisation and a name: "State Department spokesperson Tommy Pigott".
_ROLE_WORDS = (r"spokesperson|spokesman|spokeswoman|official|minister|secretary|adviser|advisor|aide|envoy|"
               r"ambassador|analyst|director|chief|head|leader|lawmaker|senator|researcher|professor|economist")
_BEFORE = re.compile(rf"(?:^|(?P<prev>[\w'’]+)\W+)(?P<name>(?:(?:[A-Z][\w.'’-]*\s+){{0,3}}(?:{_ROLE_WORDS})\s+)?"
                     rf"{_NAME})\s*(?:,[^,]{{2,80}},\s*)?"
                     r"(?:(?:has|have|had|also|again|later|repeatedly|reportedly|previously|publicly|then)\s+)*$")
# "Ed Arnold of the Royal United Services think tank in London warned"
_AFFILIATED = re.compile(rf"(?P<name>[A-Z][\w'’-]+(?:\s+{_NAME_WORD}){{1,3}})\s+(?:of|from|at)\s+(?:the\s+)?"
                         r"[A-Z][^,;:\"“”]{0,70}$")
# '..., said Rep. Don Bacon (R-Neb.).' and 'according to European Commission President Ursula von der Leyen'
_AFTER = re.compile(rf"^\s*(?P<name>{_NAME})")
_ACCORDING = re.compile(rf"\b[Aa]ccording to (?P<name>{_NAME})")
_PREPOSITIONS = {"in", "of", "from", "at", "to", "with", "by", "for", "on", "about", "against", "between", "into",
                 "like", "than", "over", "under", "across", "after", "before", "during", "through", "toward",
                 "towards", "via", "and", "or", "including"}
# Words of a title or role, not of a name ("Secretary of State Marco Rubio"); ``themes`` reads them too, since a
# phrase made of them names a person, not a topic.
ROLES = {"president", "president-elect", "former", "first", "lady", "minister", "secretary", "spokesperson",
         "spokesman", "spokeswoman", "chancellor", "prime",
         "foreign", "defence", "defense", "rep.", "sen.", "gov.", "senator", "representative", "governor", "general",
         "commissioner", "ambassador", "envoy", "adviser", "advisor", "chief", "director", "leader", "mayor",
         "chair", "chairman", "chairwoman", "ceo", "head", "deputy", "vice", "state", "department", "house"}
_NOT_NAMES = {"The", "A", "An", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I", "You", "His",
              "Her", "Their", "Our", "But", "And", "However", "While", "When", "After", "Before", "In", "On", "At",
              "For", "As", "If", "Some", "One", "Two", "Many", "Several", "Other", "Others", "Officials", "Analysts",
              "Critics", "Experts", "Sources", "Diplomats", "Reuters", "Politico", "AP", "AFP", "Bloomberg", "CNN",
              "BBC", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Both", "Each",
              "All", "No", "Yet", "So", "Also", "Then", "There", "Here", "What", "Who", "Which", "Where", "Why"}


@dataclass(frozen=True)
class Statement:
    """A sentence in which a named person states a position: ``speaker`` as written and a ``key`` to group by."""

    speaker: str
    key: str
    sentence: Sentence


def speaker(text: str) -> str | None:
    """The named speaker of a sentence with a speech verb ("Macron promised", "said Rep. Don Bacon",
    "State Department spokesperson Tommy Pigott said", "according to Ursula von der Leyen"), or None: no verb
    outside quotation marks, or only a pronoun, an unnamed official ("one European diplomat said") or a place
    that is the object of a preposition ("a think tank in London warned")."""
    quoted = _quoted_spans(text)
    for m in _SPEECH_RE.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue  # a speech verb inside a quotation belongs to the quote, not the attribution
        before, after = text[: m.start()], text[m.end() :]
        found = _BEFORE.search(before)
        if found and (found.group("prev") or "").lower() not in _PREPOSITIONS:
            if name := _clean_name(found.group("name")):
                return name
        found = _AFFILIATED.search(before)
        if found and (name := _clean_name(found.group("name"))):
            return name
        if m.group(0) in ("said", "says", "added", "wrote") and re.search(r"[,\"”’]\s*$", before):
            found = _AFTER.match(after)
            if found and (name := _clean_name(found.group("name"))):
                return name
    m = _ACCORDING.search(text)
    if m and (name := _clean_name(m.group("name"))):
        return name
    return None


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[\"“][^\"“”]{3,}[\"”]", text)]


def _clean_name(raw: str) -> str | None:
    """The speaker's name and role as written, or None when it is not a person's or an institution's name."""
    words = raw.split()
    while words and (words[0] in _NOT_NAMES or words[0].lower() in ("one", "a", "an", "the", "of")):
        words = words[1:]
    if not words:
        return None
    last = words[-1].rstrip(".")
    if last in _NOT_NAMES or last.lower() in ROLES or not last[:1].isupper() or len(last) < 2 or last.isupper():
        return None
    return " ".join(words)


def statements(pool: Sequence[Sentence]) -> list[Statement]:
    """Every sentence of the pool with a named speaker, keyed by the speaker's surname."""
    out = []
    for s in pool:
        who = speaker(s.plain)
        if who:
            out.append(Statement(who, _surname(who), s))
    return out


def _surname(name: str) -> str:
    return name.split()[-1].rstrip(".").lower()


def speakers(found: Sequence[Statement], salience: Salience, limit: int = 8, per_speaker: int = 2,
             pool: Sequence[Sentence] = ()) -> list[tuple[str, list[Sentence]]]:
    """Speakers with their most salient statements, those quoted in most articles (then most often, then most
    centrally) first; a speaker is shown under the longest form of the name seen ("French President Emmanuel
    Macron" for "Macron"). A bare surname counts as the one full name of that surname that the ``pool`` mentions,
    if only one is."""
    names: dict[str, Counter] = {}
    for s in pool:
        for first, last in re.findall(r"\b([A-Z][a-z]+) ([A-Z][a-z]+)\b", s.plain):
            if first.lower() not in ROLES and first not in _NOT_NAMES:
                names.setdefault(last.lower(), Counter())[first] += 1
    # a full name is its own person ("Jimmy Carter", "Jason Carter"); a bare surname joins the most quoted person
    # of that surname, or stands alone
    full: dict[str, list[Statement]] = {}
    bare: list[Statement] = []
    for st in found:
        person = _person(st.speaker)
        (full.setdefault(" ".join(person).lower(), []) if len(person) > 1 else bare).append(st)
    groups = dict(full)
    inferred: dict[str, str] = {}
    for st in bare:
        # "Carter" is the Carter the articles name most often (Jimmy, not Jason or Amy); a tie leaves it bare
        firsts = names.get(st.key, Counter()).most_common(2)
        if firsts and (len(firsts) == 1 or firsts[0][1] > firsts[1][1]):
            whole = f"{firsts[0][0]} {st.speaker.split()[-1]}"
            inferred[whole.lower()] = whole
            groups.setdefault(whole.lower(), []).append(st)
        else:
            groups.setdefault(st.key, []).append(st)
    ranked = sorted(groups.items(), key=lambda kv: (-len({st.sentence.doc.id for st in kv[1]}), -len(kv[1]),
                                                    -max(salience(st.sentence) for st in kv[1]), kv[0]))
    out = []
    used: list[Sentence] = []
    for key, group in ranked[:limit]:
        written = [st.speaker for st in group if len(_person(st.speaker)) > 1]
        name = max(written, key=len) if written else inferred.get(key, group[0].speaker)
        best = pick(sorted((st.sentence for st in group), key=lambda s: -salience(s)), per_speaker, used)
        if best:
            out.append((name, best))
    return out


def _person(name: str) -> list[str]:
    """The name without its role: the capitalised run at the end ("Tommy Pigott" of "State Department
    spokesperson Tommy Pigott", "Marco Rubio" of "Secretary of State Marco Rubio")."""
    words = name.split()
    out: list[str] = []
    for w in reversed(words):
        if w.lower() in ROLES or w.lower() == "of" or not w[:1].isupper() and w not in ("von", "van", "der", "de"):
            break
        out.insert(0, w)
    return out or words[-1:]


_PRONOUN_SPEAKER = re.compile(rf"\b(?:he|she|they|it)\s+(?:also\s+)?(?:{_SPEECH})\b|^(?:He|She|They|It)\b")


def pronoun_speaker(text: str) -> bool:
    """Whether a sentence quotes a pronoun ("..., he told French radio") or starts with one ("It was ..."): out of
    its paragraph nobody knows who that is."""
    return bool(_PRONOUN_SPEAKER.search(text))
