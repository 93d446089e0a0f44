"""Known openings of Île-de-France stations within the data's years (2020 onwards).

The IDFM file describes today's network without dates: a station of a line opened in 2024
did not exist for a 2021 sale. Each entry is (line as in the file's `res_com`, station
names as in `nom_gares` or None for every station of the line, opening date, source).
Stations not listed count as open all along. Dates are the public openings announced by
Île-de-France Mobilités and the RATP (as recorded in the French Wikipedia articles of each
line); a station missing here is a known gap, not a guess.
"""

from __future__ import annotations

from datetime import date

OPENINGS: tuple[tuple[str, tuple[str, ...] | None, date, str], ...] = (
    (
        "METRO 14",
        ("Pont Cardinet", "Porte de Clichy", "Saint-Ouen", "Mairie de Saint-Ouen"),
        date(2020, 12, 14),
        "RATP / IDFM: line 14 extended Saint-Lazare → Mairie de Saint-Ouen",
    ),
    (
        "METRO 4",
        ("Barbara", "Bagneux - Lucie Aubrac"),
        date(2022, 1, 13),
        "RATP / IDFM: line 4 extended to Bagneux – Lucie Aubrac",
    ),
    (
        "METRO 12",
        ("Aimé Césaire", "Mairie d'Aubervilliers"),
        date(2022, 5, 31),
        "RATP / IDFM: line 12 extended to Mairie d'Aubervilliers",
    ),
    (
        "METRO 11",
        (
            "Serge Gainsbourg",
            "Romainville - Carnot",
            "Montreuil - Hôpital",
            "La Dhuys",
            "Coteaux Beauclair",
            "Rosny-Bois-Perrier",
        ),
        date(2024, 6, 13),
        "RATP / IDFM: line 11 extended to Rosny-Bois-Perrier",
    ),
    (
        "METRO 14",
        (
            "Saint-Denis – Pleyel",
            "Maison Blanche",
            "Hôpital Bicêtre",
            "Villejuif - Gustave Roussy",
            "L'Haÿ - les - Roses",
            "Chevilly - Larue",
            "Thiais - Orly",
            "Aéroport d'Orly",
        ),
        date(2024, 6, 24),
        "RATP / IDFM: line 14 extended to Saint-Denis – Pleyel and Aéroport d'Orly",
    ),
    (
        "RER E",
        ("Porte Maillot", "La Défense", "Nanterre - La Folie"),
        date(2024, 5, 6),
        "SNCF / IDFM: RER E (Eole) extended west to Nanterre – La Folie",
    ),
    ("TRAM 9", None, date(2021, 4, 10), "IDFM: tram T9 Paris – Orly-Ville opened"),
    ("TRAM 13", None, date(2022, 7, 6), "IDFM: tram T13 Saint-Cyr – Saint-Germain opened"),
    ("TRAM 10", None, date(2023, 6, 24), "IDFM: tram T10 Antony – Clamart opened"),
    ("TRAM 12", None, date(2023, 12, 10), "IDFM: tram T12 Massy – Évry opened"),
)


def opening_of(line: str, station: str) -> date | None:
    """The known opening date of a station of a line, None when not known to be recent."""
    for known_line, stations, opened, _source in OPENINGS:
        if line == known_line and (stations is None or station in stations):
            return opened
    return None
