"""The API's answers as pydantic models: the spec's response schemas are generated from them.

Field names in English, dates as ISO strings, money in whole euros. Every field is sent
(null when unknown) unless it says otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.errors import ErrorDetail
from app.geocoding import PRECISIONS
from model.property import PROPERTY_TYPES

PropertyType = Literal[PROPERTY_TYPES]
Precision = Literal[PRECISIONS]


class Answer(BaseModel):
    """Base of the answers: every field is in the JSON, so the schema requires it."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class ModelRef(Answer):
    """Which model answered."""

    version: str
    data_until: dt.date | None = Field(description="Date of the last sale in the model's data.")


class Location(Answer):
    latitude: float
    longitude: float
    precision: Precision
    source: str
    label: str | None
    code_commune: str | None
    postcode: str | None


class Comparable(Answer):
    """A past sale (DVF, DGFiP / Etalab)."""

    mutation_id: str
    date: dt.date
    property_type: PropertyType
    living_area_m2: float | None
    rooms: int | None
    land_area_m2: float | None
    price: float
    price_per_m2: float | None
    distance_m: float | None
    latitude: float | None
    longitude: float | None
    street: str | None = Field(
        description="Street name, without the house number (no re-identification)."
    )
    code_commune: str | None
    commune_name: str | None


class Contribution(Answer):
    feature: str
    label: str = Field(description="In French, for display.")
    euros: int = Field(description="What this feature adds to the baseline.")


class Estimate(Answer):
    value: int = Field(description="Estimated price, €.")
    low: int = Field(description="Low end of the 80 % range, €.")
    high: int = Field(description="High end of the 80 % range, €.")
    price_per_m2: int
    confidence: Literal["high", "medium", "low"]
    market_period: str = Field(
        pattern=r"^[0-9]{4}-[0-9]{2}$", description="Month whose market the price reflects."
    )


class Explanation(Answer):
    """value = baseline + sum of contributions (SHAP values in €)."""

    baseline: int
    contributions: list[Contribution]


class PropertyEcho(Answer):
    """The property as understood."""

    property_type: PropertyType
    living_area_m2: float
    rooms: int
    land_area_m2: float | None
    outbuildings: int
    valuation_date: dt.date


Tranquillity = Annotated[
    dict[str, Any] | None,
    Field(
        description="Recorded incidents (SSMSI) and cameras near the place, with sources "
        "and years; null when unknown. Null values inside mean 'not available'."
    ),
]


class EstimateParts(Answer):
    """Everything about one estimate except which model made it."""

    estimate: Estimate
    explanation: Explanation
    comparables: list[Comparable]
    tranquillity: Tranquillity
    location: Location
    property: PropertyEcho


class EstimateResponse(EstimateParts):
    """The answer to POST /estimates."""

    model: ModelRef


class BatchEstimate(EstimateParts):
    """One home of a batch, estimated."""

    index: int
    status: Literal[200]


class BatchFailure(Answer):
    """One home of a batch that could not be estimated: invalid (400), outside coverage
    (422), or not reached before the request's deadline (503, code `deadline`)."""

    index: int
    status: Literal[400, 422, 503]
    error: ErrorDetail


class BatchSummary(Answer):
    estimated: int
    invalid: int
    outside_coverage: int
    not_done: int = Field(description="Homes not reached before the deadline: send them again.")


class BatchResponse(Answer):
    """The answer to POST /estimates/batch."""

    results: list[BatchEstimate | BatchFailure] = Field(
        description="One per property, in the order given."
    )
    summary: BatchSummary
    model: ModelRef


class ComparablesResponse(Answer):
    """Nearest sales first."""

    comparables: list[Comparable]
    location: Location
    model: ModelRef


class MarketQuarter(Answer):
    quarter: str
    median_price_per_m2: float | None
    sales: int


class NeighbourhoodResponse(Answer):
    """What is known about a place, with sources and years."""

    location: Location
    code_commune: str | None
    neighbourhood: dict[str, Any]
    market_history: list[MarketQuarter]
    model: ModelRef


class TrainingWindow(Answer):
    """The first and last dates of the training sales."""

    model_config = ConfigDict(populate_by_name=True)

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")


class DepartementData(Answer):
    """What the model's data holds for one département; `gaps` say where it is partial."""

    code: str
    name: str | None
    sales: int
    first_sale: dt.date
    last_sale: dt.date
    communes_with_sales: int
    communes: int
    gaps: list[str] = Field(
        description="Stable ids of what the département's file lacks: `few_communes` (sales of "
        "fewer than half its communes), `starts_late`, `ends_early` (a shorter period than the "
        "other départements), `no_outbuildings`, `no_parcels` (fields DVF normally fills)."
    )
    note: str | None = Field(description="The gaps in French, as the site shows them.")


class ModelInfo(Answer):
    """The model being served: version, training window, data date, evaluation metrics."""

    version: str
    data_until: dt.date | None
    departements: list[str]
    departement_data: dict[str, DepartementData] = Field(
        description="Per served département: its sales, period, communes and gaps."
    )
    training_window: TrainingWindow | None
    metrics: dict[str, Any] | None = Field(
        description="Out-of-time evaluation: MdAPE, PE10, PE20, median ratio, COD, PRD, range "
        "coverage... on the test period, for the model (`overall`), its variants (`model_*`: "
        "flagged sales included, history frozen at the test start) and the baselines."
    )


class Health(Answer):
    """Liveness and the model version."""

    status: Literal["ok", "unavailable"]
    model_version: str | None
    data_until: dt.date | None
