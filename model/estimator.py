"""The serving `Estimator`: one model bundle, loaded once, answering in milliseconds.

`load` maps the bundle's prebuilt tables (`model.prebuilt`: the sales, their trees and
histories, shared by every worker through the page cache) and reads the small ones.
`estimate` runs named steps: locate the communes, check the coverage, describe the
subjects, compute their features with the same code as training (`model.features.compute`),
predict once with LightGBM (with SHAP values when explained), calibrate the price by its
level (`model.equity`, as the evaluation did), apply the 80 % range, and
assemble each answer: a price, its range, contributions in euros (`model.explain`) and the
comparable sales it looked at.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np

from model import bundle as bundle_format
from model import explain, prebuilt, tree_queries, tree_shap
from model import features as feats
from model.comparables import to_xyz
from model.coverage import Coverage, OutsideCoverage, too_far
from model.equity import EQUITY_FILE, EquityCalibration
from model.explain import Contribution
from model.geography import departement_of
from model.indicators import (
    NEIGHBOURHOOD_RADIUS_M,
    Neighbourhood,
    QuarterPrices,
    prices_nearby,
    recent_period,
)
from model.market import MarketIndex, month_label
from model.places import Nearest, Places, read_addresses, read_communes
from model.pricing import Priced, Pricer, confidence_levels, subjects_of
from model.property import Property
from model.ranges import PRECISION_RANGES_FILE, PrecisionRanges, RangeTable, precision_class
from model.sales import Comparable
from model.shared import built_once
from model.surroundings import REFERENCE_DIR as SURROUNDINGS_DIR
from model.surroundings import Surroundings
from model.tranquillity import Tranquillity

__all__ = ["Comparable", "Contribution", "Estimate", "Estimator", "OutsideCoverage"]


@dataclass(frozen=True)
class Estimate:
    """A price, its 80 % range and why."""

    value: float
    low: float
    high: float
    price_per_m2: float
    confidence: str  # "high" | "medium" | "low"
    baseline: float  # € before contributions
    contributions: list[Contribution]  # largest |euros| first
    comparables: list[Comparable]
    market_period: str  # "YYYY-MM": the market month the price reflects
    model_version: str
    data_until: date
    tranquillity: dict | None


@dataclass(frozen=True)
class _Answer:
    """What `_estimate` reads for all the homes of a call at once, for one of them."""

    low: float  # € bounds of the range
    high: float
    confidence: str
    comparables: list[Comparable]


class Estimator:
    """Estimates from one model bundle."""

    def __init__(self, bundle: bundle_format.Bundle):
        tree_queries.install()  # the trees answer each request's few points several times
        meta = bundle.metadata
        self.path = bundle.path
        self.metadata = meta
        self.version = str(meta["version"])
        self.data_until = date.fromisoformat(meta["data_until"])
        self.departements = frozenset(meta["departements"])
        self.booster = bundle.booster
        self.names = tuple(meta["features"])
        self.tq_features = tuple(meta.get("tranquillity_features", ()))
        self.sr_features = tuple(meta.get("surroundings_features", ()))
        if self.names != feats.feature_names(self.tq_features, self.sr_features):
            # The booster reads columns by position: another feature list would still
            # predict, silently wrong.
            raise bundle_format.BundleError(
                f"{bundle.path}: its features differ from this code's (built by another version)"
            )
        self.ranges = RangeTable.from_dict(meta["ranges"])
        self.equity = self._read_equity(bundle.path)
        self.precision_ranges = _precision_ranges(bundle.path)
        self._groups = explain.feature_groups(self.names)

        self.market = MarketIndex.from_frame(bundle.table(bundle_format.MARKET_TABLE))
        self.coverage = Coverage(self.departements, self.market)
        communes = read_communes(bundle.reference)
        # The sales and their trees: memory-mapped from the bundle, shared by every worker.
        tables = prebuilt.load(bundle, self.market, feats.Communes.from_frame(communes))
        self.history = tables.history
        self.sales = tables.sales
        self.places = Places(
            tables.sale_tree,
            self.sales.code_commune,
            self.sales.parcel_id,
            communes,
            read_addresses(bundle.reference),
        )
        self.commune_history = tables.commune_history
        self.tranquillity = self._read_tranquillity(bundle.reference)
        self.surroundings = self._read_surroundings(bundle.reference)
        self.pricer = Pricer(
            self.booster,
            self.history,
            self.market,
            self.ranges,
            self.tranquillity,
            self.tq_features,
            self.precision_ranges,
            self.surroundings,
            self.sr_features,
            # Exact SHAP values ≈ 2.4× faster than `pred_contrib`, mapped from the bundle.
            tree_shap.for_bundle(bundle),
        )

    @classmethod
    def load(cls, bundle_dir: str | Path) -> Estimator:
        """Load a bundle folder (`models/<version>/`)."""
        return cls(bundle_format.read_bundle(bundle_dir))

    @staticmethod
    def _read_equity(path: Path) -> EquityCalibration:
        """The price's calibration by level; the identity for bundles trained without one."""
        file = path / EQUITY_FILE
        if not file.is_file():
            return EquityCalibration()
        return EquityCalibration.from_json(file.read_text(encoding="utf-8"))

    def _read_tranquillity(self, reference: Path):
        if not (reference / "tranquillity").is_dir():
            return None
        try:
            # Read-only once loaded: the next bundle's, from the same files, is this one.
            return built_once(
                "tranquillity", reference / "tranquillity", partial(Tranquillity.load, reference)
            )
        except (OSError, KeyError, ValueError):
            if self.tq_features:
                raise
            return None

    def _read_surroundings(self, reference: Path) -> Surroundings | None:
        """The `sr_*` tables, None when the model does not use them."""
        if not self.sr_features:
            return None
        folder = reference / SURROUNDINGS_DIR
        # Read-only once loaded, like the tranquillity tables: shared with the next bundle.
        return built_once("surroundings", folder, partial(Surroundings.load, reference))

    # --- estimates ----------------------------------------------------------------------

    def estimate(self, prop: Property, *, comparables: int = 10, explain: bool = True) -> Estimate:
        """The price of one home; raises `OutsideCoverage`. Unexplained: no SHAP values
        computed, no contributions (the baseline is the value)."""
        result = self.estimate_each([prop], comparables=comparables, explain=explain)[0]
        if isinstance(result, OutsideCoverage):
            raise result
        return result

    def estimate_each(
        self, props: Sequence[Property], *, comparables: int = 10, explain: bool = True
    ) -> list[Estimate | OutsideCoverage]:
        """What `estimate` answers each home, valued in one vectorised call (requests that
        arrive together: `app.coalescing`); failures are returned, not raised."""
        return self._estimate(list(props), explain=explain, comparables=comparables, summary=True)

    def estimate_many(
        self,
        props: Sequence[Property],
        *,
        explain: bool = True,
        parcel_ids: Sequence[str | None] | None = None,
        comparables: int = 5,
    ) -> list[Estimate | OutsideCoverage]:
        """Prices of many homes at once (vectorised); failures are returned, not raised."""
        return self._estimate(
            list(props),
            explain=explain,
            comparables=comparables if explain else 0,
            summary=False,
            parcel_ids=parcel_ids,
        )

    def _estimate(self, props, *, explain, comparables, summary, parcel_ids=None):
        """Communes → coverage → parcels and subjects → price → one answer per home."""
        results: list = [None] * len(props)
        if not props:
            return results
        xyz = to_xyz([p.latitude for p in props], [p.longitude for p in props])
        nearest = Nearest(self.places, xyz)
        codes = self._communes(props, xyz, nearest)
        keep = self._covered(props, codes, results)
        if not keep:
            return results
        idx = np.array(keep)
        # Given parcels, else those the homes' geocoding found, else the nearest sale's.
        given = [props[i].parcel_id if parcel_ids is None else parcel_ids[i] for i in keep]
        parcels = self.places.parcels(xyz[idx], given, partial(nearest.of, idx))
        chosen = [props[i] for i in keep]
        # A home placed by interpolation, at its street or at its commune has no parcel of its
        # own (a new address, or an unknown point): the nearest sale's would lend it another
        # home's history.
        for j, prop in enumerate(chosen):
            if precision_class(prop.precision) != "housenumber":
                parcels[j] = None
        subjects = subjects_of(chosen, [codes[i] for i in keep], parcels)
        priced = self.price_subjects(subjects, explain, chosen)
        # Read for all the homes at once: per home, these cost more than their arithmetic.
        batch = priced.batch
        shown = [[] for _ in keep]
        if comparables:
            shown = self.sales.comparables_each(batch.neighbours, batch.distances, comparables)
        low, high = priced.value * np.exp(priced.low), priced.value * np.exp(priced.high)
        levels = confidence_levels(
            high / low, batch.distances[:, feats.K_CLOSE - 1], priced.classes
        )
        for j, i in enumerate(keep):
            answer = _Answer(float(low[j]), float(high[j]), str(levels[j]), shown[j])
            results[i] = self._assemble(priced, j, answer, summary)
        return results

    def price_subjects(
        self, subjects: dict, explain: bool = False, props: list[Property] | None = None
    ) -> Priced:
        """Homes described as the features read them (`pricing.subjects_of`'s keys), priced
        as every answer is: the model's price calibrated by its level, then its range
        (`props`: their places' precision; None: each exactly placed, as a sale of DVF)."""
        priced = self.pricer.price(props, subjects, explain)
        # The range's multipliers apply around the calibrated price, as in the evaluation.
        calibrated = self.equity.apply(
            subjects["departement"], subjects["property_type"], priced.value
        )
        return replace(priced, value=calibrated, uncalibrated=priced.value)

    def _communes(self, props, xyz: np.ndarray, nearest: Nearest) -> list[str | None]:
        """Each home's commune: given, else located from the sales and addresses nearby."""
        codes = [p.code_commune for p in props]
        missing = [i for i, c in enumerate(codes) if not c]
        if missing:
            located = self.places.locate(xyz[missing], partial(nearest.of, missing))
            for i, code in zip(missing, located, strict=True):
                codes[i] = code
        return codes

    def _covered(self, props, codes, results: list) -> list[int]:
        """Positions of the homes the model can value; the others' reasons go in `results`."""
        keep = []
        for i, prop in enumerate(props):
            problem = self.coverage.problem(prop, codes[i])
            if problem is not None:
                results[i] = problem
            else:
                keep.append(i)
        return keep

    def _assemble(self, priced: Priced, j: int, answer: _Answer, summary: bool):
        """The answer for home `j`: an `Estimate`, or `OutsideCoverage` when too far."""
        batch, subjects, prop = priced.batch, priced.subjects, priced.props[j]
        far = too_far(
            batch.distances[j, 0], subjects["property_type"][j], subjects["departement"][j]
        )
        if far is not None:
            return far
        v = float(priced.value[j])
        contributions, baseline = ([], v)
        if priced.shap is not None:
            contributions, baseline = self._explain(priced, j, v)
        tq_summary = None
        if summary:
            tq_summary = self._tranquillity_summary(
                prop.longitude, prop.latitude, subjects["code_commune"][j], prop.valuation_date
            )
        return Estimate(
            value=round(v, -2),
            low=round(answer.low, -2),
            high=round(answer.high, -2),
            price_per_m2=round(v / prop.living_area_m2, 0),
            confidence=answer.confidence,
            baseline=round(baseline, 0),
            contributions=contributions,
            comparables=answer.comparables,
            market_period=month_label(priced.months[j]),
            model_version=self.version,
            data_until=self.data_until,
            tranquillity=tq_summary,
        )

    def _explain(self, priced: Priced, j: int, value: float):
        """Contributions and baseline of home `j`."""
        subjects, batch = priced.subjects, priced.batch
        facts = explain.home_facts(
            subjects,
            j,
            batch,
            self.history.rel,
            self.places.commune_name(subjects["code_commune"][j]),
        )
        return explain.contributions(
            priced.shap[j],
            self._groups,
            batch.level[j],
            subjects["living_area_m2"][j],
            value,
            facts,
        )

    def _tranquillity_summary(self, longitude, latitude, code, on: date | None) -> dict | None:
        """The tranquillity display of a point, None when unknown there."""
        if self.tranquillity is None or not code:
            return None
        try:
            return self.tranquillity.summary(longitude, latitude, code, on_date=on)
        except (KeyError, ValueError, IndexError):
            return None

    # --- places and indicators ----------------------------------------------------------

    def departement_data(self, departement: str | None) -> dict | None:
        """What the training data of a département held (`training.completeness`), if known."""
        return self.metadata.get("departement_data", {}).get(departement or "")

    def locate_commune(self, latitude: float, longitude: float) -> str | None:
        """INSEE code of a point: nearest known sale or address, else nearest commune centre."""
        return self.places.locate_commune(latitude, longitude)

    def comparables(
        self, latitude, longitude, *, radius_m=1000, limit=20, **filters
    ) -> list[Comparable]:
        """Past sales within `radius_m` of a point matching the filters (`property_type`,
        `living_area_range`, `rooms_range`, `date_from`, `date_to`), nearest first."""
        rows, metres = self.places.sales_within(latitude, longitude, radius_m)
        keep = self.sales.matching(rows, **filters)
        return self.sales.comparables_at(rows[keep][:limit], metres[keep][:limit])

    def market_history(
        self, code_commune: str, property_type: str | None = None
    ) -> list[QuarterPrices]:
        """Median €/m² and number of sales per quarter in a commune (all types if None)."""
        return self.commune_history.of(code_commune, property_type)

    def neighbourhood(self, latitude, longitude, *, code_commune=None, on=None) -> Neighbourhood:
        """Tranquillity summary and price indicators around a point."""
        code = code_commune or self.locate_commune(latitude, longitude)
        rows = self.places.rows_within(latitude, longitude, NEIGHBOURHOOD_RADIUS_M)
        departement = departement_of(code)
        return Neighbourhood(
            code_commune=code,
            commune_name=self.places.commune_name(code) if code else None,
            departement=departement,
            covered=departement in self.departements,
            radius_m=NEIGHBOURHOOD_RADIUS_M,
            period=recent_period(self.data_until),
            prices_nearby=prices_nearby(self.sales, rows, self.data_until),
            prices_commune_last_4_quarters=self.commune_history.recent(code),
            tranquillity=self._tranquillity_summary(longitude, latitude, code, on),
            data_until=self.data_until.isoformat(),
        )


def _precision_ranges(folder: Path) -> PrecisionRanges:
    """The bundle's ranges by location precision (an older bundle has none: the main table)."""
    path = Path(folder) / PRECISION_RANGES_FILE
    if not path.is_file():
        return PrecisionRanges()
    return PrecisionRanges.from_dict(json.loads(path.read_text(encoding="utf-8")))
