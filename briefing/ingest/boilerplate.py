"""Page chrome that must never become a passage: navigation, share buttons, cookie banners, promo lines."""

from __future__ import annotations

import re



# Whole lines (compared lower-cased, without trailing punctuation) that are page chrome, never article text.
_CHROME = frozenset(
    " ".join(item.split())
    for item in """
    by | in | on | and | search | search the website | search this site | search for | popular categories |
    categories | category | tags | share | share this | share this article | share this story | share this post |
    share article | tweet | pin | email | print | advertisement | advertisements | advertising | ad | sponsored |
    sponsored content | paid content | subscribe | subscribe now | subscribe today | sign up | sign in | log in |
    login | register | my account | read more | read next | read also | continue reading | see more | show more |
    load more | view more | more | skip to content | skip to main content | skip to navigation | menu | main menu |
    open menu | close menu | toggle navigation | navigation | home | close | back to top | top | related |
    related articles | related posts | related stories | related news | recommended | recommended for you |
    you may also like | you might also like | more stories | more from this author | most popular | most read |
    trending | trending now | latest news | leave a comment | leave a reply | comments | comment | no comments |
    view comments | show comments | previous article | next article | previous post | next post | previous | next |
    newsletter | follow us | privacy policy | terms of use | terms of service | terms and conditions |
    cookie policy | cookie settings | cookie preferences | cookie notice | accept cookies | accept all cookies |
    reject all | manage cookies | manage consent | manage preferences | all rights reserved | contact us |
    about us | facebook | twitter | linkedin | whatsapp | telegram | instagram | youtube | reddit | x | copy link |
    link copied | listen to this article | image | photo | video | loading | please wait
    """.split("|")
)
_SOCIAL = (
    r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|instagram|youtube|reddit|pinterest|email|e-mail|print"
    r"|copy link)"
)
# Short lines with a recognisable chrome shape.
_CHROME_PATTERNS = [
    re.compile(r"share (?:this|on|via|to)\b.*"),
    re.compile(rf"(?:{_SOCIAL}[\s,|/·•]*){{2,}}"),  # "Facebook Twitter LinkedIn Email"
    re.compile(r"(?:follow us|find us|like us) on\b.*"),
    re.compile(r"(?:©|\(c\) ?\d{4}|copyright\s*(?:©|\(c\))?\s*\d{4}).{0,80}"),  # "Copyright lawsuits ..." is news
    re.compile(r"click here\b.{0,80}"),
    re.compile(r"sign up for (?:our|the|free)\b.*newsletter.*"),
    re.compile(r"(?:subscribe|sign up|register) (?:to|for) (?:our|the) (?:newsletter|channel|updates).*"),
    re.compile(r"advertisement\s*[-–—:|].{0,40}"),  # "Advertisement - scroll to continue"
    re.compile(r"(?:reading time\s*:?\s*\d+|\d+\s*min(?:ute)?s? read)\b.{0,15}"),
]
# Cookie / consent banners: recognised by how they begin, so an article sentence about cookies is not caught.
_COOKIE = re.compile(
    r"(?:we use cookies|we and our partners use|this (?:web)?site uses cookies|our (?:web)?site uses cookies|"
    r"by (?:continuing|using)\b.{0,40}\b(?:site|website)\b.{0,40}\bcookies)"
)


def is_boilerplate(line: str) -> bool:
    """True for page chrome that must not become a passage.

    Conservative by design: blank lines and lines of only punctuation/separators; a fixed list of whole-line
    navigation/sharing/subscription labels (a lone "by" or "in", "Search the website", "Popular Categories",
    "Advertisement", "Read more", "Skip to content"...); short lines shaped like sharing bars, copyright notices or
    "click here" prompts; and cookie/consent banners (matched by their opening words). A real sentence is not
    matched: the label list has no sentences, and the patterns apply only to short lines.
    """
    s = " ".join(line.split())
    if not any(c.isalnum() for c in s):
        return True
    key = s.lower().strip(" .:;,!?»«›‹>|•·-–—…*_#\"'()[]")
    if key in _CHROME or promo_rule(s) is not None:
        return True
    if _COOKIE.match(key) and len(s) <= 400:
        return True
    if len(s) > 100:
        return False
    return any(p.fullmatch(key) for p in _CHROME_PATTERNS)


# ---------------------------------------------------------------------------------------------------------------
# Promo and page chrome inside article text: calls to action, newsletter boxes, author contact lines, related-link
# lines, bylines and datelines left on a line of their own. Each rule has a name so `benchmarks/boilerplate.py`
# can say how many lines of a corpus it removes.

_EMAIL = r"[\w.+-]+@[\w-]+\.[\w.]+"
PROMO_RULES: dict[str, re.Pattern] = {
    # "Need a break? Play the USA TODAY Daily Crossword Puzzle."
    "game promo": re.compile(r"(?:need a break\?|play (?:the|our|today's)\b).{0,80}\b(?:crossword|puzzle|sudoku|"
                             r"wordle|word game|quiz)(?:zes|s)?\b.{0,40}", re.IGNORECASE),
    # "Sign up for Today's Best Articles in your inbox...", "Support local journalism. Unlock unlimited digital
    # access ... Click here and subscribe today."
    "newsletter or subscription": re.compile(
        r"(?![\"“‘'])(?=.*\b(?:sign up|subscribe|unlock unlimited)\b)"
        r"(?=.*\b(?:newsletters?|inbox|e-?mails?|sign up here|here|today|digital access|subscribers?|save|"
        r"free)\b).{0,300}", re.IGNORECASE),
    # "Eric Lagatta covers breaking and trending news for USA TODAY. Reach him at elagatta@gannett.com"
    "author contact": re.compile(
        rf"(?=.*(?:{_EMAIL}|\bon (?:x|twitter|instagram|bluesky|facebook|threads)\b.{{0,20}}@\w+))"
        r"(?=(?:contact|follow|reach|e-?mail)\b|.*\b(?:covers|reporter|writer|correspondent|columnist|editor)\b)"
        r".{0,400}",
        re.IGNORECASE),
    # "More:Do food dyes make ADHD worse?", "Track California fires:Map traces current fires": a label glued to a
    # linked headline
    "related link": re.compile(r"(?![\"“‘'])(?![^:]*\b(?:said|says|added|told|wrote|asked|stated)\s*:)"
                               r"[^.!?:\d\"“]{2,40}:(?=[A-Z$])[^\n]{0,160}"),
    # "– Marina Pitofsky", "-- Sudiksha Kochi": a live blog entry's byline
    "byline": re.compile(r"(?:[-–—−]{1,2}\s*)(?:[A-Z][\w.'’-]+)(?:\s+[A-Z][\w.'’-]+){0,3}"),
    # "CNN —", "New York CNN Business —": a dateline on its own line
    "dateline": re.compile(r"(?:[A-Z][\w.,()]*\s+){0,5}[—–]"),
    # "We occasionally recommend interesting products ... we may earn an affiliate fee."
    "affiliate or partner notice": re.compile(r".{0,200}\b(?:affiliate (?:fee|commission|link)s?|we may earn an? "
                                              r"(?:affiliate|commission)|is an? [\w ]{0,20}content partner)\b.{0,200}",
                                              re.IGNORECASE),
    # "Prefer to listen? Check out the 5 Things podcast:"
    "podcast promo": re.compile(r"(?:prefer to listen\?|(?:listen to|check out|subscribe to)\b).{0,60}\bpodcasts?\b"
                                r".{0,40}", re.IGNORECASE),
    # "This article is republished from The Conversation under a Creative Commons license."
    "republication notice": re.compile(r"this (?:article|story) (?:is|was|has been) republished from\b.{0,200}",
                                       re.IGNORECASE),
}


def promo_rule(line: str) -> str | None:
    """The name of the promo or chrome rule a whole line matches (see ``PROMO_RULES``), or None. Lines of more
    than 400 characters are article text whatever they contain."""
    s = " ".join(line.split())
    if len(s) > 400:
        return None
    return next((name for name, pattern in PROMO_RULES.items() if pattern.fullmatch(s)), None)
