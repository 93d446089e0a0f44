"""The model card's Markdown subset as HTML on the methodology page (`app.web.model_card`)."""

from __future__ import annotations

from app.web.model_card import read_card, to_html

CARD = """# Fiche du modèle v1

## Usage prévu

Estimer <script>alert(1)</script> un prix.

- une ligne ;
- une autre.

| a | b |
| --- | --- |
| 1 | 2 & 3 |
"""


def test_the_subset_is_rendered_and_every_text_escaped():
    html = str(to_html(CARD))
    assert "Fiche du modèle v1" not in html  # the page's section title says it
    assert "<h3>Usage prévu</h3>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<ul><li>une ligne ;</li><li>une autre.</li></ul>" in html
    assert '<th scope="col">a</th>' in html and "<td>2 &amp; 3</td>" in html
    assert "---" not in html


def test_a_bundle_without_a_card_shows_none(tmp_path):
    assert read_card(tmp_path) is None
    (tmp_path / "model_card.md").write_text(CARD)
    assert "Usage prévu" in read_card(tmp_path)
