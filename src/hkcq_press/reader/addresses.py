"""Addresses a link may lead to outside the edition, judged as epubcheck judges them,
and printed as the desk wrote them (markdown-it keeps them percent-encoded, with the
site name in punycode).

epubcheck refuses an EPUB whose links do not parse as URLs (RSC-020): the WHATWG
URL standard (ada-url), with no empty part of a host name (`https://../`), no
malformed `xn--` label, one `#` at most, and a port below 65536. The check refuses
them first, at the link's line.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import ada_url
import idna

LINK_SCHEMES = ("http", "https", "mailto", "tel")
"""Where a link may lead outside the edition: the web, an e-mail address and a telephone
number (hotlines are ordinary in Hong Kong copy). Others, `sms:` among them, are not
schemes epubcheck knows as registered (HTM-025)."""
WITHOUT_HOST = ("mailto", "tel")
"""Schemes whose address is the rest of it, printed without the scheme."""
_ENCODED_NON_ASCII = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")
"""Percent-escapes of UTF-8 bytes beyond ASCII: the Chinese of an address, as encoded."""


def address_problem(href: str) -> str | None:
    """Why `href`, an address of one of `LINK_SCHEMES`, cannot be linked, in words;
    None when it can."""
    parts = urlsplit(href)
    scheme = parts.scheme.lower()
    if scheme not in WITHOUT_HOST and not parts.netloc:
        return "it names no site"
    if scheme in WITHOUT_HOST and not parts.path:
        return f"it gives no {'number' if scheme == 'tel' else 'e-mail address'}"
    if href.count("#") > 1:
        return "an address has one `#` at most"
    # The site name's parts first: the most telling reason, whichever ada-url judges the whole.
    host = parts.hostname or ""
    if host and not host.startswith("["):
        labels = host.removesuffix(".").split(".")
        if not all(labels):
            return "its site name has an empty part (`..`)"
        for label in labels:
            if label.startswith("xn--"):
                try:
                    idna.decode(label)
                except idna.IDNAError:
                    return f"its site name has a malformed part `{label}`"
    if not ada_url.check_url(href):
        return "it is not a valid address"
    return None


def as_written(href: str) -> str:
    """An address with the desk's characters: Chinese decoded from its percent-escapes
    and its site name from punycode, but `%20` and other escaped ASCII left as they are."""
    shown = _ENCODED_NON_ASCII.sub(_decoded, href)
    netloc = urlsplit(shown).netloc
    if "xn--" in netloc:
        shown = shown.replace(netloc, ".".join(map(_unicode_label, netloc.split("."))), 1)
    return shown


def shown_address(href: str) -> str:
    """An address as a reader sees it in print: as written, without `mailto:` or `tel:`."""
    shown = as_written(href)
    scheme = urlsplit(shown).scheme.lower()
    return shown[len(scheme) + 1:] if scheme in WITHOUT_HOST else shown


def _unicode_label(label: str) -> str:
    try:
        return idna.decode(label) if label.lower().startswith("xn--") else label
    except idna.IDNAError:
        return label


def _decoded(escapes: re.Match[str]) -> str:
    raw = bytes(int(escape, 16) for escape in escapes.group(0).split("%")[1:])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return escapes.group(0)
