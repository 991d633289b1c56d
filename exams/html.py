"""Staff-written HTML (questions, directions, explanations, choices), cleaned before it is stored.

The apps render these fields in web views, so what is stored must never run: the models' save()
passes every HTML field through clean_html(), whoever writes it (admin, import, API, shell).

Kept: text formatting, lists, tables, images, links with http(s)/mailto, sub/sup, and spans/divs
with a class for math markup (`<span class="math-tex">\\(x^2\\)</span>`, KaTeX/MathJax delimiters are
plain text). Removed: scripts and styles with their content, event handlers (onerror=...), style
attributes, any other URL scheme (javascript:, data:, vbscript:), comments, and unknown tags (their
text stays). `<p onclick="x()">प्रश्न</p>` → `<p>प्रश्न</p>`.
"""

import re
from html import unescape

import nh3
from django.utils.text import Truncator

TAGS = {
    *("p", "br", "hr", "div", "span", "blockquote", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "mark", "small", "sub", "sup"),
    *("abbr", "cite", "q", "kbd", "samp", "var", "tt", "bdi", "bdo", "ruby", "rt", "rp", "wbr"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"),
    *("img", "figure", "figcaption", "a"),
}
ATTRIBUTES = {
    # Hindi, Urdu and English text side by side.
    "*": {"lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    # Math renderers find their markup by class; a class cannot run anything.
    "span": {"class"},
    "div": {"class"},
    "ol": {"start"},
    "col": {"span"},
    "colgroup": {"span"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
# Relative URLs (an image uploaded to this site) are kept as well.
URL_SCHEMES = {"http", "https", "mailto"}

_cleaner = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES)


def clean_html(html: str) -> str:
    """`html` with everything that could run in a web view removed; well-formed safe HTML comes back as is."""
    return _cleaner.clean(html) if html else html


# Where one block of text ends and the next begins, so that "<p>a</p><p>b</p>" reads "a b".
_BREAKS = re.compile(r"<(?:br|hr|/p|/div|/li|/h[1-6]|/td|/th|/tr|/blockquote|/figcaption)\b[^>]*>", re.I)
_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
_to_text = nh3.Cleaner(tags=set(), attributes={})


def html_to_text(html: str, length: int | None = None) -> str:
    """The text a reader sees in `html`, on one line, for lists, select boxes and messages.

    Tags go, entities are decoded, images read "[image]" and formulas stay as their LaTeX:
    `<p>Find <span class="math-tex">\\(x^2\\)</span></p><p><img src="a.png"></p>` reads
    `Find \\(x^2\\) [image]`. With `length`, cut to that many characters with an ellipsis.
    """
    if not html:
        return ""
    text = _IMAGE.sub(" [image] ", _BREAKS.sub(" ", html))
    text = " ".join(unescape(_to_text.clean(text)).split())
    return Truncator(text).chars(length) if length else text
