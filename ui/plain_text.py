"""Text from users, files and URLs, shown as plain text inside Streamlit's Markdown.

st.markdown, st.caption, st.warning, st.error, st.info, st.success and st.toast read their
text as Markdown: a URL parameter like `[Log in](https://evil.example)` would become a
link and `![x](https://evil.example/x.png)` would make the browser fetch an image. Every
such string goes through `plain` first (one place, so every page escapes the same way).
"""

from __future__ import annotations

import html
import re

#: Characters that make links, images, emphasis, code, tables, Streamlit's directives
#: (:red[...]) and LaTeX ($...$) in Markdown: each gets a backslash (CommonMark lets any
#: ASCII punctuation be escaped). Others ('-', '/', '.', '(', ':', '<', '>') stay as they
#: are, so names, paths and "> 0" read the same in the page and in AppTest (Streamlit
#: never renders HTML here; <scheme:...> autolinks are broken below).
_SPECIAL = re.compile(r"([\\`*_\[\]$~|#&])")
#: A block marker at the very start (a list "- ", "+ ", "1. ", a quote "> ", a heading).
_LEADING = re.compile(r"^(\d*)([-+=.)>])")
#: GFM also turns bare "https://...", "www...." and "name@host" into links, escapes or not,
#: and CommonMark "<scheme:...>": an invisible word joiner (U+2060) breaks each pattern.
_AUTOLINK = re.compile(r"(?i)(?<=[hfmw])(?=ttps?:|tp:|ailto:|ww\.)|(?<=@)"
                       r"|(?<=<)(?=[a-z][a-z0-9+.-]{1,31}:)")
WORD_JOINER = "\u2060"
MAX_SHOWN = 300  # characters of one untrusted string shown (a URL can be kilobytes)


def plain(value, *, limit: int = MAX_SHOWN) -> str:
    """`value` as text that renders literally in any Markdown element: Markdown's special
    characters backslash-escaped, bare URLs and e-mail addresses broken by an invisible
    word joiner, line breaks and tabs as spaces (one line stays one line), at most `limit`
    characters (an ellipsis marks the cut)."""
    text = " ".join(str(value).split()) if str(value).strip() else str(value).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    escaped = _SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, text))
    return _LEADING.sub(r"\1\\\2", escaped)


def plain_html(value, *, limit: int = MAX_SHOWN) -> str:
    """`value` for Plotly text (titles, legend names, tick labels, hover): Plotly reads a
    few HTML tags there (<a href>, <b>, <br>), so < > & are escaped; one line, `limit`
    characters at most."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False).replace("%{", "%\u200b{")
