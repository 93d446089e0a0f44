"""A small HTML reader for the site's tests (standard library only)."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class Page(HTMLParser):
    """Elements with their attributes, visible text, and a few queries."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.elements: list[tuple[str, dict]] = []
        self._text: list[str] = []
        self._skip = 0
        self.feed(html)
        self.text = re.sub(r"\s+", " ", " ".join(self._text)).replace("\u202f", " ")

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: (v if v is not None else "") for k, v in attrs}))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self._text.append(data)

    def find_all(self, tag: str, **attrs) -> list[dict]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str, **attrs) -> dict | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def form_fields(self, action: str) -> dict[str, str]:
        """Names and values of the inputs of the form posting to `action`."""
        fields, inside = {}, False
        for tag, attrs in self.elements:
            if tag == "form":
                inside = attrs.get("action") == action
            elif inside and tag == "input" and attrs.get("name"):
                fields[attrs["name"]] = attrs.get("value", "")
        return fields

    def csrf_token(self) -> str:
        return self.find("input", name="csrf_token")["value"]
