"""Composing the email for a `Message` (RFC 5322 headers, MIME parts) — no network here.

A message body is text. The one piece of HTML it may carry is a link, as the LINK verification style renders
it (`<a href="https://...">Verify Email</a>`); a body with links gets a text/html alternative where the links
are live, and its text/plain part shows each URL. Everything else in the body is escaped, never trusted as
HTML: a body can hold user-supplied values (a username), which must not become markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from userpool.core.model import Message

__all__ = ["address", "compose"]

_LINK = re.compile(r"<a\s+href\s*=\s*\"(?P<href>[^\"]*)\"\s*>(?P<text>.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_NEWLINES = re.compile(r"[\r\n]+")


def address(addr_spec: str, display_name: str | None = None) -> Address:
    """A mailbox; non-ASCII display names are RFC 2047-encoded when the message is serialised."""
    try:
        return Address(display_name=display_name or "", addr_spec=addr_spec)
    except Exception as err:  # email's parser raises several unrelated types for a malformed address
        raise ValueError(f"{addr_spec!r} is not a valid email address") from err


def compose(message: Message, *, sender: Address, reply_to: Address | None) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = address(message.to)
    if reply_to is not None:
        mail["Reply-To"] = reply_to
    # Header values cannot span lines; a template's stray newline must not become a header injection.
    mail["Subject"] = _NEWLINES.sub(" ", message.subject)
    mail["Date"] = formatdate(message.created_at, usegmt=True)
    # The sender's own domain, not this host's name: make_msgid's default would look it up and leak it.
    mail["Message-ID"] = make_msgid(domain=sender.domain)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies or bounce loops
    mail["X-Auto-Response-Suppress"] = "All"  # Exchange ignores Auto-Submitted and reads this instead
    links = [m for m in _LINK.finditer(message.body) if _web(_href(m))]
    if not links:
        mail.set_content(message.body)
        return mail
    mail.set_content(_render(message.body, links, _plain_link, lambda text: text))
    mail.add_alternative(_page(_render(message.body, links, _html_link, _html_text)), subtype="html")
    return mail


def _href(match: re.Match[str]) -> str:
    return html.unescape(match["href"]).strip()


def _label(match: re.Match[str]) -> str:
    return html.unescape(_TAG.sub("", match["text"])).strip()


def _web(url: str) -> bool:
    # Only web links become live: a `javascript:` or `data:` href stays inert text.
    return url.lower().startswith(("https://", "http://"))


def _render(
    body: str, links: list[re.Match[str]], link: Callable[[re.Match[str]], str], text: Callable[[str], str]
) -> str:
    out: list[str] = []
    at = 0
    for match in links:
        out.append(text(body[at : match.start()]))
        out.append(link(match))
        at = match.end()
    out.append(text(body[at:]))
    return "".join(out)


def _plain_link(match: re.Match[str]) -> str:
    url, label = _href(match), _label(match)
    return url if not label or label == url else f"{label}: {url}"


def _html_link(match: re.Match[str]) -> str:
    url, label = _href(match), _label(match)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label or url)}</a>'


def _html_text(text: str) -> str:
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>\n")


def _page(content: str) -> str:
    return f'<!DOCTYPE html>\n<html><body style="font-family: sans-serif">\n<p>{content}</p>\n</body></html>\n'
