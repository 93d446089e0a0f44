"""The communes of the offline index: found by postcode or by name, located at their centroid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.geocoding.location import Location
from model.address_text import ParsedQuery, tokens


class CommuneIndex:
    """Commune names (as words), postcodes and arrondissements of `communes.parquet`."""

    def __init__(self, communes: pd.DataFrame):
        communes = communes.reset_index(drop=True)
        self.communes = communes
        self.by_code = {c: i for i, c in enumerate(communes["code_commune"])}
        self._tokens = [frozenset(tokens(n)) for n in communes["name"].astype(str)]
        stats = communes.get("code_commune_stats", communes["code_commune"]).astype(str)
        population = communes["population"] if "population" in communes else None
        self._population = (
            population.fillna(0).to_numpy() if population is not None else np.zeros(len(communes))
        )
        self._by_word: dict[str, list[int]] = {}
        for i, name in enumerate(self._tokens):
            for w in name:
                self._by_word.setdefault(w, []).append(i)
        self._arrondissements: dict[str, set[str]] = {}
        stats_of = dict(zip(communes["code_commune"], stats, strict=True))
        for code, stats_code in stats_of.items():
            self._arrondissements.setdefault(stats_code, set()).add(code)
        self._by_postcode: dict[str, list[int]] = {}
        for i, pc in enumerate(communes["postcode"].astype(str)):
            self._by_postcode.setdefault(pc, []).append(i)

    def add_postcode(self, postcode: str, code: str) -> None:
        """Another postcode of a commune (the table keeps one; its streets have the rest)."""
        i = self.by_code.get(code)
        found = self._by_postcode.setdefault(postcode, [])
        if i is not None and i not in found:
            found.append(i)

    def places(self, parsed: ParsedQuery) -> tuple[list[int], set[str]]:
        """Communes named by the query (postcode first, then the longest matching name),
        and the query words their name took."""
        words = set(parsed.words)
        if parsed.postcode:
            found = self._by_postcode.get(parsed.postcode, [])
            # A postcode shared by several communes: the one the query names, if any (its
            # other communes' names are street words: "route de Sauvian 34410 Sérignan").
            named = [i for i in found if self._tokens[i] and self._tokens[i] <= words]
            if named:
                return self._best_named(named, parsed.words)
            if found:
                return found, {t for i in found for t in self._tokens[i] & words}
        candidates = {i for w in words for i in self._by_word.get(w, ())}
        named = [i for i in candidates if self._tokens[i] <= words]
        if not named:
            return [], set()
        return self._best_named(named, parsed.words)

    def _best_named(self, named: list[int], words: tuple[str, ...]) -> tuple[list[int], set[str]]:
        """The longest name wins, then the one written last (places come after streets),
        then the most populous of homonyms; and the words of its name."""
        order = {w: k for k, w in enumerate(words)}  # last position of each word

        def rank(i: int) -> tuple:
            name = self._tokens[i]
            return (len(name), max(order[w] for w in name), self._population[i])

        named = sorted(named, key=rank, reverse=True)
        best = [i for i in named if rank(i)[:2] == rank(named[0])[:2]]
        return best, set(self._tokens[best[0]])

    def codes(self, places: list[int]) -> set[str]:
        """INSEE codes of communes, with the arrondissements of Paris, Lyon and Marseille."""
        codes = {str(self.communes.at[i, "code_commune"]) for i in places}
        return codes.union(*(self._arrondissements.get(c, ()) for c in codes))

    def location(self, i: int, precision: str) -> Location:
        """A commune's centroid."""
        row = self.communes.iloc[i]
        postcode = str(row["postcode"]) if row.get("postcode") is not None else None
        return Location(
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            precision=precision,
            source="commune-centroid",
            label=f"{postcode or ''} {row['name']}".strip(),
            code_commune=str(row["code_commune"]),
            postcode=postcode,
        )
