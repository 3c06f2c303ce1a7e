"""Text a user typed into a refused post, kept in the session for the one page view the refusal
redirects to (Post/Redirect/Get), so the page can show it again: in the refused form when it is
still there, else read-only to be copied (templates/includes/unsaved_text.html). A refused
decision must not lose a long comment. The one mechanism for this: the activity plan's review
and reopening, and the quarterly report's transitions.
"""

from __future__ import annotations

from django.http import HttpRequest

from .editing import COMMENT_MAX_LENGTH

SESSION_KEY = "unsaved_text"
# Kept up to the comment fields' own limit (forms and models, base.editing.comment_field): a
# field's text cannot be longer where it is typed (the textarea's maxlength), and the session
# is no store for more.
KEPT_LENGTH = COMMENT_MAX_LENGTH


def keep_unsaved_text(request: HttpRequest, *, url: str, text: str) -> None:
    """Keep `text` for the next view of `url`; blank text keeps nothing (and drops any text
    kept before, so an older refusal's text is never shown for this one)."""
    if text.strip():
        request.session[SESSION_KEY] = {"url": url, "text": text[:KEPT_LENGTH]}
    else:
        request.session.pop(SESSION_KEY, None)


def take_unsaved_text(request: HttpRequest, *, url: str) -> str:
    """The text kept for `url`, taken out of the session (a reload shows none); text kept for
    another page is dropped as well."""
    kept = request.session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict) or kept.get("url") != url:
        return ""
    text = kept.get("text")
    return text if isinstance(text, str) else ""
