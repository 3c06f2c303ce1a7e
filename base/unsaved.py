"""Text a user typed into a refused post, kept in the session for the one page view the refusal
redirects to (Post/Redirect/Get), so the page can show it again to be copied
(templates/includes/unsaved_text.html): a refused decision must not lose a long comment.
"""

from __future__ import annotations

from django.http import HttpRequest

SESSION_KEY = "unsaved_text"
# A comment field's text is kept up to this length (the session is no store for more).
KEPT_LENGTH = 10_000


def keep_unsaved_text(request: HttpRequest, *, url: str, text: str) -> None:
    """Keep `text` for the next view of `url`; blank text keeps nothing."""
    if text.strip():
        request.session[SESSION_KEY] = {"url": url, "text": text[:KEPT_LENGTH]}


def take_unsaved_text(request: HttpRequest, *, url: str) -> str:
    """The text kept for `url`, taken out of the session (a reload shows none); text kept for
    another page is dropped as well."""
    kept = request.session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or kept.get("url") != url:
        return ""
    text = kept.get("text")
    return text if isinstance(text, str) else ""
