"""The served bundle's `model_card.md` as HTML for the methodology page.

The card is written by training (`training.model_card`) in a small subset of Markdown:
`#`/`##` headings, paragraphs, `- ` lists and pipe tables. This renders exactly that subset,
every piece of text escaped; a bundle without a card (trained before cards existed) shows
none.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup, escape

CARD_FILE = "model_card.md"


def read_card(bundle_dir: str | Path) -> Markup | None:
    """The card of the bundle in `bundle_dir` as HTML, None when it has none."""
    try:
        text = (Path(bundle_dir) / CARD_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return to_html(text)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def to_html(text: str) -> Markup:
    """The subset of Markdown above → HTML (the card's title is the page section's h2: it is
    left out, and `##` headings become h3)."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#")) + 1
            if level > 2:
                out.append(f"<h{level}>{escape(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{escape(lines[i][2:])}</li>")
                i += 1
            out.append(f"<ul>{''.join(items)}</ul>")
            continue
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            head, body = rows[0], rows[2:]
            out.append(
                '<div class="table-scroll" tabindex="0" role="region" '
                'aria-label="Tableau de la fiche du modèle"><table class="data"><thead><tr>'
                + "".join(f'<th scope="col">{escape(c)}</th>' for c in head)
                + "</tr></thead><tbody>"
                + "".join(
                    "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in body
                )
                + "</tbody></table></div>"
            )
            continue
        elif line.strip():
            out.append(f"<p>{escape(line)}</p>")
        i += 1
    return Markup("\n".join(out))
