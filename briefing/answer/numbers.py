"""Quantities written in text, normalised so a claim's figures can be compared with a passage's: digits, number
words ("forty-seven", "a dozen", "half"), ordinals, percentages, money with scales and currencies ("€210 billion" =
"210 billion euros" = "€210bn"), and calendar dates ("November 26" = "26 Nov" = "2025-11-26")."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_ORDINAL_WORDS = {w: i for i, w in enumerate(
    "_ first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()) if i}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12, "trn": 1e12}
_FRACTIONS = {"half": 0.5, "halves": 0.5, "third": 1 / 3, "thirds": 1 / 3, "quarter": 0.25, "quarters": 0.25}
_CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₴": "UAH", "₽": "RUB", "us$": "USD"}
_CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "eur": "EUR", "dollar": "USD", "dollars": "USD", "usd": "USD",
                   "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "gbp": "GBP", "yen": "JPY", "jpy": "JPY",
                   "hryvnia": "UAH", "hryvnias": "UAH", "hryvnias'": "UAH", "uah": "UAH", "rouble": "RUB",
                   "roubles": "RUB", "ruble": "RUB", "rubles": "RUB", "rub": "RUB", "yuan": "CNY", "renminbi": "CNY"}
_MONTHS = {m: i for i, ms in enumerate(
    ["jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
     "sep sept september", "oct october", "nov november", "dec december"], 1) for m in ms.split()}

_WORDS = "|".join(sorted(list(_UNITS) + list(_TENS), key=len, reverse=True))
_NUMBER_WORDS = rf"(?:{_WORDS})(?:[\s-]+(?:and[\s-]+)?(?:{_WORDS}|hundred|thousand))*"
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
# One pattern, tried left to right; the named group says which kind of quantity matched.
_QUANTITY = re.compile(
    rf"""(?ix)
    (?P<iso>\b(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})\b)
  | (?P<md>\b(?P<mdm>{_MONTH})\.?\s+(?P<mdd>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:%|percent|per\s+cent)))
  | (?P<dm>\b(?P<dmd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dmm>{_MONTH})\b\.?)
  | (?P<ordw>\b(?:{"|".join(_ORDINAL_WORDS)})\b)
  | (?P<frac>\b(?:(?P<fn>a|one|two|three)[\s-]+)?(?P<fw>half|halves|thirds?|quarters?)\b)
  | (?P<dozen>\b(?:(?P<dn>a|two|three|four|five|six)\s+)?dozen\b(?!s))
  | (?P<scaleonly>\ba\s+(?P<so>hundred|thousand|million|billion|trillion)\b)
  | (?P<num>
        (?:(?P<sign>us\$|[€$£¥₴₽])\s?)?
        (?:(?P<digits>\d+(?:[.,]\d+)*)(?P<ord>st|nd|rd|th)?|(?P<a>\ba\s+)?(?P<words>\b{_NUMBER_WORDS}\b))
        (?:[\s-]*(?P<scale>hundred|thousand|million|billion|trillion|k|mn|m|bn|b|tn|trn)\b)?
        (?:[\s-]*(?P<pct>%|percent\b|per\s+cent\b|percentage\s+points?\b))?
        (?:[\s-]*(?P<cur>{"|".join(_CURRENCY_WORDS)})\b)?)
    """
)


@dataclass(frozen=True)
class Quantity:
    """One figure: its words in the text, its value, and its kind: ``count``, ``ordinal``, ``ratio`` (percentages
    and fractions, 50% = half = 0.5), ``money`` (with ``currency`` when stated) or ``date`` (month * 100 + day)."""

    text: str
    value: float
    kind: str
    currency: str | None = None


def quantities(text: str) -> list[Quantity]:
    """The quantities in ``text``, in order. "one" alone is not a quantity ("one official" is an article, not a
    count); "one million" is."""
    out = []
    for m in _QUANTITY.finditer(text):
        q = _quantity(m)
        if q is not None:
            out.append(q)
    return out


def _quantity(m: re.Match) -> Quantity | None:
    surface = m.group(0).strip()
    g = m.group
    if g("iso"):
        month, day = int(g("im")), int(g("id"))
        return Quantity(surface, month * 100 + day, "date") if 1 <= month <= 12 and 1 <= day <= 31 else None
    if g("md") or g("dm"):
        month = _MONTHS[(g("mdm") or g("dmm")).lower()]
        day = int(g("mdd") or g("dmd"))
        return Quantity(surface, month * 100 + day, "date") if 1 <= day <= 31 else None
    if g("ordw"):
        return Quantity(surface, _ORDINAL_WORDS[surface.lower()], "ordinal")
    if g("frac"):
        n = {"a": 1, "one": 1, "two": 2, "three": 3, None: 1}[(g("fn") or "").lower() or None]
        return Quantity(surface, n * _FRACTIONS[g("fw").lower()], "ratio")
    if g("dozen"):
        n = {"a": 1, None: 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}[(g("dn") or "").lower() or None]
        return Quantity(surface, 12 * n, "count")
    if g("scaleonly"):
        return Quantity(surface, _SCALES[g("so").lower()], "count")
    if g("digits"):
        value = _digits(g("digits"))
        if g("ord"):
            return Quantity(surface, value, "ordinal")
    else:
        words = g("words").lower()
        if words == "one" and not g("scale") and not g("sign") and not g("cur") and not g("pct"):
            return None
        value = _words(words)
        if value is None:
            return None
    scale = g("scale")
    if scale:
        if scale.lower() in ("m", "b", "k") and not (g("sign") or g("cur")):
            pass  # "5 m" is metres, "3 k" is not money: only a currency makes a bare letter a scale
        else:
            value *= _SCALES[scale.lower()]
    if g("pct"):
        return Quantity(surface, value / 100, "ratio")
    sign, cur = g("sign"), g("cur")
    if sign or cur:
        return Quantity(surface, value, "money", _CURRENCY_SIGNS.get((sign or "").lower()) or
                        _CURRENCY_WORDS.get((cur or "").lower()))
    return Quantity(surface, value, "count")


def _digits(s: str) -> float:
    """ "600,000" and "600.000"-style thousands groups read as thousands; "1.5" and "1,5" as decimals."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s):
        return float(s.replace(",", ""))
    if re.fullmatch(r"\d+[.,]\d+", s):
        return float(s.replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", s):
        return float(s.replace(".", ""))
    try:
        return float(s.replace(",", ""))  # "1,234.5"
    except ValueError:
        return float(re.sub(r"\D", "", s) or 0)


def _words(text: str) -> float | None:
    """ "forty-seven" -> 47, "three hundred and twenty" -> 320, "twelve thousand" -> 12000."""
    total, current = 0, 0
    for w in re.split(r"[\s-]+", text):
        if w == "and":
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
    return float(total + current)


def matches(claim: Quantity, other: Quantity) -> bool:
    """Whether ``other`` states ``claim``'s figure: equal values of compatible kinds. A count and a money amount
    compare (a passage may name the currency elsewhere), but two stated currencies must agree; a year written as
    digits compares with the same digits anywhere ("2025" in "2025-11-26")."""
    if abs(claim.value - other.value) > 1e-9 * max(1.0, abs(claim.value)):
        return False
    kinds = {claim.kind, other.kind}
    if len(kinds) == 1:
        return claim.kind != "money" or not (claim.currency and other.currency) or claim.currency == other.currency
    return kinds == {"count", "money"} or kinds == {"count", "ordinal"} and claim.kind == "ordinal"


def unmatched(claim_text: str, support_text: str) -> list[tuple[Quantity, list[Quantity]]]:
    """Each quantity of ``claim_text`` that ``support_text`` does not state, with the support's figures of the same
    kind (what it says instead). Years and ISO dates in the support also count as their digits."""
    have = quantities(support_text)
    for m in re.finditer(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", support_text):
        have += [Quantity(x, float(x), "count") for x in m.groups()]
    out = []
    for q in quantities(claim_text):
        if not any(matches(q, h) for h in have):
            out.append((q, [h for h in have if h.kind == q.kind or {h.kind, q.kind} == {"count", "money"}]))
    return out
