"""Markdown of the sheets to safe HTML: python-markdown, then nh3 removes anything active."""

from __future__ import annotations

from markupsafe import Markup

ALLOWED_TAGS = {"p", "ul", "ol", "li", "strong", "em", "b", "i", "a", "br", "blockquote", "code", "pre", "h3", "h4"}


def render_markdown(text: str) -> Markup:
    """Every stored word stays visible: raw HTML in the text is shown as text, never parsed.

    Parsed, an unclosed ``<style>``, ``<script>``, ``<textarea>`` or ``<iframe>`` swallowed all
    the text after it: hidden from the moderator's review, yet stored, indexed and exported.
    """
    import markdown  # imported at the first page that shows a sheet: a web worker's first search needs neither
    import nh3

    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")  # raw HTML blocks and inline tags become text
    md.inlinePatterns.deregister("html")
    html = md.convert(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
