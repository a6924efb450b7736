"""Project instructions are Markdown written by admins: rendered, then sanitised, before an annotator sees them."""

from urllib.parse import urlsplit

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


def instructions_html(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    # Safe to mark: nh3 has just removed every tag and attribute outside the allow-lists.
    return mark_safe(nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_local_images_only,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ))


def _local_images_only(tag: str, attribute: str, value: str) -> str | None:
    """An image from another server would load as the page opens (a tracking pixel that tells who read the
    instructions, and when): only this site's own images keep their source. Links stay: they load on a click."""
    if tag == "img" and attribute == "src" and not _is_local(value):
        return None
    return value


def _is_local(url: str) -> bool:
    """A path on this site: '/static/x.png', 'x.png'; not 'https://…', '//host/…' nor any other scheme."""
    url = url.strip().replace(chr(92), "/")  # browsers read a backslash as a slash: '/\\host/x' is '//host/x'
    return not url.startswith("//") and not urlsplit(url).scheme
