"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Request schemas say exactly what the views accept (the tests fuzz the API against
them), response schemas exactly what they return (the tests validate real answers).
"""

from __future__ import annotations

from typing import Any

from app.requests import MAX_ADDRESS_LENGTH
from model.property import (
    LAND_AREA_RANGE,
    LIVING_AREA_RANGE,
    OUTBUILDINGS_RANGE,
    PROPERTY_TYPES,
    ROOMS_RANGE,
)

API_VERSION = "1.0.0"
BATCH_MAX = 1000
RADIUS_RANGE = (10, 5000)
COMPARABLES_LIMIT_RANGE = (1, 100)
CODE_COMMUNE_PATTERN = r"^([0-9]{5}|2[AB][0-9]{3})$"


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


LATITUDE = {"type": "number", "minimum": -90, "maximum": 90, "description": "WGS84 degrees"}
LONGITUDE = {"type": "number", "minimum": -180, "maximum": 180, "description": "WGS84 degrees"}
ADDRESS = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_ADDRESS_LENGTH,
    "description": "Free text, geocoded (BAN). Ignored for locating when latitude and "
    "longitude are given.",
}

PROPERTY_REQUEST = {
    "type": "object",
    "description": "A home and its place: `address`, or `latitude` + `longitude`.",
    "properties": {
        "property_type": {"type": "string", "enum": list(PROPERTY_TYPES)},
        "living_area_m2": {
            "type": "number",
            "minimum": LIVING_AREA_RANGE[0],
            "maximum": LIVING_AREA_RANGE[1],
        },
        "rooms": {
            "type": "integer",
            "minimum": ROOMS_RANGE[0],
            "maximum": ROOMS_RANGE[1],
            "description": "Main rooms (pièces principales).",
        },
        "land_area_m2": _nullable(
            {"type": "number", "minimum": LAND_AREA_RANGE[0], "maximum": LAND_AREA_RANGE[1]}
        ),
        "outbuildings": _nullable(
            {
                "type": "integer",
                "minimum": OUTBUILDINGS_RANGE[0],
                "maximum": OUTBUILDINGS_RANGE[1],
                "description": "Cellars, parkings, garages sold with it.",
            }
        ),
        "valuation_date": _nullable(
            {
                "type": "string",
                "format": "date",
                "description": "Default: today. From 2014-01-01 to one year ahead.",
            }
        ),
        "address": ADDRESS,
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
    },
    "required": ["property_type", "living_area_m2", "rooms"],
    "anyOf": [{"required": ["address"]}, {"required": ["latitude", "longitude"]}],
    "additionalProperties": False,
    "examples": [
        {
            "property_type": "apartment",
            "living_area_m2": 52.5,
            "rooms": 3,
            "address": "10 rue de Rivoli, 75004 Paris",
        },
        {
            "property_type": "house",
            "living_area_m2": 110,
            "rooms": 5,
            "land_area_m2": 450,
            "outbuildings": 1,
            "latitude": 50.6292,
            "longitude": 3.0573,
            "valuation_date": "2025-03-01",
        },
    ],
}

FIELD_ERROR = {
    "type": "object",
    "properties": {
        "field": {"type": "string"},
        "code": {
            "type": "string",
            "enum": ["required", "type", "choice", "range", "unknown", "not_found"],
        },
        "message": {"type": "string"},
        "params": {"type": "object"},
    },
    "required": ["field", "code", "message"],
}

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "fields": {
                    "type": "array",
                    "items": _ref("FieldError"),
                    "description": "Each bad field and why (400).",
                },
                "code": {"type": "string", "description": "Why an estimate is impossible (422)."},
                "retry_after": {"type": "integer", "description": "Seconds to wait (429)."},
            },
            "required": ["status", "message"],
        }
    },
    "required": ["error"],
}

LOCATION = {
    "type": "object",
    "properties": {
        "latitude": {"type": "number"},
        "longitude": {"type": "number"},
        "precision": {
            "type": "string",
            "enum": ["housenumber", "street", "municipality", "postcode", "coordinates"],
        },
        "source": {"type": "string"},
        "label": {"type": ["string", "null"]},
        "code_commune": {"type": ["string", "null"]},
        "postcode": {"type": ["string", "null"]},
    },
    "required": ["latitude", "longitude", "precision", "source"],
}

MODEL_REF = {
    "type": "object",
    "properties": {
        "version": {"type": "string"},
        "data_until": {
            "type": ["string", "null"],
            "format": "date",
            "description": "Date of the last sale in the model's data.",
        },
    },
    "required": ["version", "data_until"],
}

COMPARABLE = {
    "type": "object",
    "description": "A past sale (DVF, DGFiP / Etalab).",
    "properties": {
        "mutation_id": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "property_type": {"type": "string", "enum": list(PROPERTY_TYPES)},
        "living_area_m2": {"type": ["number", "null"]},
        "rooms": {"type": ["integer", "null"]},
        "land_area_m2": {"type": ["number", "null"]},
        "price": {"type": "number"},
        "price_per_m2": {"type": ["number", "null"]},
        "distance_m": {"type": ["number", "null"]},
        "latitude": {"type": ["number", "null"]},
        "longitude": {"type": ["number", "null"]},
        "street": {
            "type": ["string", "null"],
            "description": "Street name, without the house number (no re-identification).",
        },
        "code_commune": {"type": ["string", "null"]},
        "commune_name": {"type": ["string", "null"]},
    },
    "required": ["mutation_id", "date", "property_type", "price"],
}

CONTRIBUTION = {
    "type": "object",
    "properties": {
        "feature": {"type": "string"},
        "label": {"type": "string", "description": "In French, for display."},
        "euros": {"type": "integer", "description": "What this feature adds to the baseline."},
    },
    "required": ["feature", "label", "euros"],
}

ESTIMATE = {
    "type": "object",
    "properties": {
        "value": {"type": "integer", "description": "Estimated price, €."},
        "low": {"type": "integer", "description": "Low end of the 80 % range, €."},
        "high": {"type": "integer", "description": "High end of the 80 % range, €."},
        "price_per_m2": {"type": "integer"},
        "confidence": {"type": "string", "enum": ["high", "medium", "low"]},
        "market_period": {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}$",
            "description": "Month whose market the price reflects.",
        },
    },
    "required": ["value", "low", "high", "price_per_m2", "confidence", "market_period"],
}

EXPLANATION = {
    "type": "object",
    "description": "value = baseline + sum of contributions (SHAP values in €).",
    "properties": {
        "baseline": {"type": "integer"},
        "contributions": {"type": "array", "items": _ref("Contribution")},
    },
    "required": ["baseline", "contributions"],
}

PROPERTY_ECHO = {
    "type": "object",
    "description": "The property as understood.",
    "properties": {
        "property_type": {"type": "string", "enum": list(PROPERTY_TYPES)},
        "living_area_m2": {"type": "number"},
        "rooms": {"type": "integer"},
        "land_area_m2": {"type": ["number", "null"]},
        "outbuildings": {"type": "integer"},
        "valuation_date": {"type": "string", "format": "date"},
    },
    "required": ["property_type", "living_area_m2", "rooms", "outbuildings", "valuation_date"],
}

TRANQUILLITY = {
    "type": ["object", "null"],
    "description": "Recorded incidents (SSMSI) and cameras near the place, with sources "
    "and years; null when unknown. Null values inside mean 'not available'.",
}

ESTIMATE_RESPONSE = {
    "type": "object",
    "properties": {
        "estimate": _ref("Estimate"),
        "explanation": _ref("Explanation"),
        "comparables": {"type": "array", "items": _ref("Comparable")},
        "tranquillity": _ref("Tranquillity"),
        "location": _ref("Location"),
        "property": _ref("PropertyEcho"),
        "model": _ref("ModelRef"),
    },
    "required": [
        "estimate",
        "explanation",
        "comparables",
        "tranquillity",
        "location",
        "property",
        "model",
    ],
}

BATCH_ITEM = {
    "oneOf": [
        {
            "type": "object",
            "properties": {
                "index": {"type": "integer"},
                "status": {"const": 200},
                "estimate": _ref("Estimate"),
                "explanation": _ref("Explanation"),
                "comparables": {"type": "array", "items": _ref("Comparable")},
                "tranquillity": _ref("Tranquillity"),
                "location": _ref("Location"),
                "property": _ref("PropertyEcho"),
            },
            "required": ["index", "status", "estimate", "explanation", "location", "property"],
        },
        {
            "type": "object",
            "properties": {
                "index": {"type": "integer"},
                "status": {"enum": [400, 422]},
                "error": ERROR["properties"]["error"],
            },
            "required": ["index", "status", "error"],
        },
    ]
}

BATCH_REQUEST = {
    "type": "object",
    "properties": {
        "properties": {
            "type": "array",
            "minItems": 1,
            "maxItems": BATCH_MAX,
            "items": {},
            "description": "Each item as the body of POST /estimates "
            "(PropertyRequest). A bad item gets its own error in `results`; "
            "it does not fail the batch.",
        },
        "explain": {
            "type": "boolean",
            "default": False,
            "description": "Include contributions in € and 5 comparables per home "
            "(about 4 ms per home instead of 0.2 ms).",
        },
    },
    "required": ["properties"],
    "additionalProperties": False,
}

BATCH_RESPONSE = {
    "type": "object",
    "properties": {
        "results": {
            "type": "array",
            "items": _ref("BatchItem"),
            "description": "One per property, in the order given.",
        },
        "summary": {
            "type": "object",
            "properties": {
                "estimated": {"type": "integer"},
                "invalid": {"type": "integer"},
                "outside_coverage": {"type": "integer"},
            },
            "required": ["estimated", "invalid", "outside_coverage"],
        },
        "model": _ref("ModelRef"),
    },
    "required": ["results", "summary", "model"],
}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


POINT_PARAMETERS = [
    _query("latitude", LATITUDE, "With longitude; or give address."),
    _query("longitude", LONGITUDE, "With latitude; or give address."),
    _query("address", ADDRESS, "Geocoded when no coordinates are given."),
]

COMPARABLES_PARAMETERS = POINT_PARAMETERS + [
    _query("property_type", {"type": "string", "enum": list(PROPERTY_TYPES)}, "Only this type."),
    _query("living_area_min", {"type": "number", "minimum": 0, "maximum": 10_000}, "m²"),
    _query("living_area_max", {"type": "number", "minimum": 0, "maximum": 10_000}, "m²"),
    _query("rooms_min", {"type": "integer", "minimum": 0, "maximum": 100}, ""),
    _query("rooms_max", {"type": "integer", "minimum": 0, "maximum": 100}, ""),
    _query("date_from", {"type": "string", "format": "date"}, "Sales on or after."),
    _query("date_to", {"type": "string", "format": "date"}, "Sales on or before."),
    _query(
        "radius_m",
        {
            "type": "integer",
            "minimum": RADIUS_RANGE[0],
            "maximum": RADIUS_RANGE[1],
            "default": 1000,
        },
        "Search radius, m.",
    ),
    _query(
        "limit",
        {
            "type": "integer",
            "minimum": COMPARABLES_LIMIT_RANGE[0],
            "maximum": COMPARABLES_LIMIT_RANGE[1],
            "default": 20,
        },
        "Nearest first.",
    ),
]

NEIGHBOURHOOD_PARAMETERS = POINT_PARAMETERS + [
    _query(
        "code_commune",
        {"type": "string", "pattern": CODE_COMMUNE_PATTERN},
        "INSEE code; found from the point when absent.",
    ),
    _query(
        "date", {"type": "string", "format": "date"}, "Figures known on this day (default today)."
    ),
]


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, schema: dict, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


RATE_HEADERS = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests per window."},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds to reset."},
}

AUTH_ERRORS = {
    "401": _error("Missing, unknown or revoked API key."),
    "429": {
        **_error("Rate limit exceeded."),
        "headers": {
            "Retry-After": {
                "schema": {"type": "integer"},
                "required": True,
                "description": "Seconds to wait.",
            }
        },
    },
    "503": _error("No model is being served yet."),
}


def _operation(
    summary: str,
    operation_id: str,
    responses: dict,
    *,
    public: bool = False,
    parameters: list | None = None,
    body: dict | None = None,
    description: str = "",
) -> dict:
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": operation_id,
        "responses": responses,
    }
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    if public:
        operation["security"] = []
    else:
        operation["responses"] = {**responses, **AUTH_ERRORS}
    return operation


BODY_ERRORS = {
    "400": _error("Malformed JSON, or bad fields: each is named with the reason."),
    "413": _error("Body larger than the limit."),
    "415": _error("The body is not JSON (send Content-Type: application/json)."),
}


def build_spec(server_url: str = "/api/v1") -> dict:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "immoval API",
            "version": API_VERSION,
            "description": (
                "Price estimates for French homes from open data (DVF, DGFiP / Etalab; "
                "SSMSI; OpenStreetMap). Send `Authorization: Bearer <key>` (keys: "
                "`immoval apikeys create --name AGENCY`). `GET /health` and "
                "`GET /openapi.json` are public. Errors are JSON: 400 names each bad "
                "field and why, 413 oversized body, 415 non-JSON body, 422 outside "
                "coverage (e.g. Alsace-Moselle, not in DVF), 429 with Retry-After."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/estimates": {
                "post": _operation(
                    "Estimate one home",
                    "createEstimate",
                    {
                        "200": _json(
                            "The estimate, its range, explanation and context.",
                            _ref("EstimateResponse"),
                            RATE_HEADERS,
                        ),
                        **BODY_ERRORS,
                        "422": _error(
                            "Outside the model's coverage; `code` and `message` say why."
                        ),
                    },
                    body=_ref("PropertyRequest"),
                )
            },
            "/estimates/batch": {
                "post": _operation(
                    "Estimate up to 1000 homes",
                    "createEstimateBatch",
                    {
                        "200": _json(
                            "One result or one error per property, in order.",
                            _ref("BatchResponse"),
                            RATE_HEADERS,
                        ),
                        **BODY_ERRORS,
                    },
                    body=_ref("BatchRequest"),
                )
            },
            "/comparables": {
                "get": _operation(
                    "Past sales around a point",
                    "listComparables",
                    {
                        "200": _json(
                            "Nearest sales first.",
                            {
                                "type": "object",
                                "properties": {
                                    "comparables": {"type": "array", "items": _ref("Comparable")},
                                    "location": _ref("Location"),
                                    "model": _ref("ModelRef"),
                                },
                                "required": ["comparables", "location", "model"],
                            },
                            RATE_HEADERS,
                        ),
                        "400": _error("Bad or unknown parameters, each named with the reason."),
                        "422": _error("Outside the model's coverage."),
                    },
                    parameters=COMPARABLES_PARAMETERS,
                )
            },
            "/neighbourhood": {
                "get": _operation(
                    "Tranquillity and price indicators for a place",
                    "getNeighbourhood",
                    {
                        "200": _json(
                            "What is known about the place, with sources and years.",
                            {
                                "type": "object",
                                "properties": {
                                    "location": _ref("Location"),
                                    "code_commune": {"type": ["string", "null"]},
                                    "neighbourhood": {"type": "object"},
                                    "market_history": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "quarter": {"type": "string"},
                                                "median_price_per_m2": {"type": ["number", "null"]},
                                                "sales": {"type": "integer"},
                                                "property_type": {"type": "string"},
                                            },
                                            "required": ["quarter", "median_price_per_m2", "sales"],
                                        },
                                    },
                                    "model": _ref("ModelRef"),
                                },
                                "required": [
                                    "location",
                                    "code_commune",
                                    "neighbourhood",
                                    "market_history",
                                    "model",
                                ],
                            },
                            RATE_HEADERS,
                        ),
                        "400": _error("Bad or unknown parameters, each named with the reason."),
                        "422": _error("Outside the model's coverage."),
                    },
                    parameters=NEIGHBOURHOOD_PARAMETERS,
                )
            },
            "/model": {
                "get": _operation(
                    "The model being served",
                    "getModel",
                    {
                        "200": _json(
                            "Version, training window, data date, evaluation metrics.",
                            {
                                "type": "object",
                                "properties": {
                                    "version": {"type": "string"},
                                    "data_until": {"type": ["string", "null"], "format": "date"},
                                    "departements": {"type": "array", "items": {"type": "string"}},
                                    "training_window": {
                                        "type": ["object", "null"],
                                        "properties": {
                                            "from": {"type": "string", "format": "date"},
                                            "to": {"type": "string", "format": "date"},
                                        },
                                    },
                                    "metrics": {
                                        "type": ["object", "null"],
                                        "description": (
                                            "Out-of-time evaluation: MdAPE, PE10, PE20, median "
                                            "ratio, COD, PRD, range coverage... on the test "
                                            "period, for the model (`overall`), its variants "
                                            "(`model_*`: flagged sales included, history frozen "
                                            "at the test start) and the baselines."
                                        ),
                                    },
                                },
                                "required": [
                                    "version",
                                    "data_until",
                                    "departements",
                                    "training_window",
                                    "metrics",
                                ],
                            },
                            RATE_HEADERS,
                        )
                    },
                )
            },
            "/health": {
                "get": _operation(
                    "Liveness and the model version (public)",
                    "getHealth",
                    {
                        "200": _json("Serving.", _ref("Health")),
                        "503": _json("No model promoted yet.", _ref("Health")),
                    },
                    public=True,
                )
            },
            "/openapi.json": {
                "get": _operation(
                    "This document (public)",
                    "getOpenApi",
                    {"200": _json("OpenAPI 3.1", {"type": "object"})},
                    public=True,
                )
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `immoval apikeys create`.",
                }
            },
            "schemas": {
                "PropertyRequest": PROPERTY_REQUEST,
                "BatchRequest": BATCH_REQUEST,
                "Error": ERROR,
                "FieldError": FIELD_ERROR,
                "Location": LOCATION,
                "ModelRef": MODEL_REF,
                "Comparable": COMPARABLE,
                "Contribution": CONTRIBUTION,
                "Estimate": ESTIMATE,
                "Explanation": EXPLANATION,
                "PropertyEcho": PROPERTY_ECHO,
                "Tranquillity": TRANQUILLITY,
                "EstimateResponse": ESTIMATE_RESPONSE,
                "BatchItem": BATCH_ITEM,
                "BatchResponse": BATCH_RESPONSE,
                "Health": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string", "enum": ["ok", "unavailable"]},
                        "model_version": {"type": ["string", "null"]},
                        "data_until": {"type": ["string", "null"], "format": "date"},
                    },
                    "required": ["status", "model_version", "data_until"],
                },
            },
        },
    }
