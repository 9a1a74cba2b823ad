"""PDF articles: the text of every page through pypdf, and the document info for metadata."""

from __future__ import annotations

import io
import re
from datetime import datetime

from briefing.ingest.boilerplate import is_boilerplate
from briefing.ingest.fields import _authors, _clean_title, _fallback_title, _header, _quiet
from briefing.ingest.article import _make, _short
from briefing.types import Document, Skipped


_JUNK_PDF_TITLE = re.compile(r"^(?:untitled|microsoft \w+ - .*|.*\.(?:docx?|odt|rtf|pdf|txt|indd|tex))$", re.I)


def _load_pdf(data: bytes, display_path: str) -> tuple[list[Document], list[Skipped]]:
    from pypdf import PdfReader

    try:
        with _quiet("pypdf"):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    unlocked = reader.decrypt("")  # many PDFs are "encrypted" with an empty password
                except Exception:  # noqa: BLE001 - missing crypto backend, unknown handler...
                    unlocked = 0
                if not unlocked:
                    return [], [Skipped(display_path, "corrupt pdf: encrypted (password required)")]
            pages = []
            for page in reader.pages:
                try:
                    pages.append(page.extract_text() or "")
                except Exception:  # noqa: BLE001 - one broken page should not lose the others
                    pages.append("")
            info = _pdf_info(reader)
    except Exception as err:  # noqa: BLE001 - pypdf raises many types on damaged files
        return [], [Skipped(display_path, f"corrupt pdf: {_short(err)}")]
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        return [], [Skipped(display_path, "no article text")]
    head = _header(text, 0)
    meta_title = (info.get("title") or "").strip()
    if not meta_title or _JUNK_PDF_TITLE.match(meta_title) or is_boilerplate(meta_title):
        meta_title = ""
    title = meta_title or head["title"]
    doc = _make(
        text,
        display_path,
        _clean_title(title) if title else _fallback_title(display_path),
        "pdf",
        published=head["published"] or info.get("created"),
        source=head["source"],
        url=head["url"],
        authors=_authors(info.get("author")),
        verbatim=False,
    )
    return [doc], []


def _pdf_info(reader) -> dict:
    """Title, author and creation date from the PDF's info dictionary; whatever is unreadable is left out."""
    out: dict = {}
    try:
        meta = reader.metadata
    except Exception:  # noqa: BLE001
        return out
    if not meta:
        return out
    for key, attr in (("title", "title"), ("author", "author")):
        try:
            value = getattr(meta, attr)
        except Exception:  # noqa: BLE001
            value = None
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    try:
        created = meta.creation_date  # pypdf parses "D:20251126..." and raises on malformed values
    except Exception:  # noqa: BLE001
        created = None
    if isinstance(created, datetime):
        out["created"] = created.date()
    return out


# JSON(L): which keys hold what, first match wins.
