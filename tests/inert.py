"""A real HTML parse to check that a page has nothing active: no script element, no event handler
attribute, no javascript: URL (text that merely looks like markup, once escaped, is fine)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "svg"):
            src = dict(attrs).get("src") or ""
            if not (tag == "script" and src.startswith("/static/")):
                self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"{tag}[{name}=javascript:]")


def active_content(html: str) -> list[str]:
    collector = _Collector()
    collector.feed(html)
    return collector.problems
