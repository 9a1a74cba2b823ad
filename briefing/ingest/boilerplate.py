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
    if key in _CHROME:
        return True
    if _COOKIE.match(key) and len(s) <= 400:
        return True
    if len(s) > 100:
        return False
    return any(p.fullmatch(key) for p in _CHROME_PATTERNS)
