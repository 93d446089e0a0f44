"""Text cells of a CSV made safe for spreadsheets (CSV/formula injection).

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) as a formula: a street named "=HYPERLINK(…)" in DVF or in a user's file would
run on the reader's machine. Such a cell is written with a leading apostrophe, which the
spreadsheet shows as text (OWASP's advice). Numbers written by the program are not text
cells and are left alone. Used by the site's exports and by `immoval predict`.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: object) -> str:
    """`value` as text, with an apostrophe before a character a spreadsheet would run."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: object) -> object:
    """A cell echoed from someone's file: numbers (and text that reads as one, "-3") as
    they are, other text through `safe_text`."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    try:
        float(text.replace(",", "."))
    except ValueError:
        return safe_text(text)
    return text
