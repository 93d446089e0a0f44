"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

The paths and their descriptions are written here; every schema is generated from the
models that read the requests (`app.requests`, `app.api.queries`) and build the answers
(`app.api.models`, `app.errors`), so the spec says exactly what the views accept (the
tests fuzz the API against it) and what they return (the tests validate real answers).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from app.api import models
from app.api.queries import ComparablesQuery, NeighbourhoodQuery
from app.errors import Error
from app.requests import BatchRequest, EstimateRequest, PropertyRequest

API_VERSION = "1.0.0"
REF_TEMPLATE = "#/components/schemas/{model}"

# Components: requests as they are validated, answers as they are serialised.
REQUESTS = (EstimateRequest, PropertyRequest, BatchRequest)
ANSWERS = (
    Error,
    models.EstimateResponse,
    models.BatchResponse,
    models.ComparablesResponse,
    models.NeighbourhoodResponse,
    models.ModelInfo,
    models.Health,
)


class _Schema(GenerateJsonSchema):
    """Pydantic's JSON Schema, without a title on every field (the names say it) nor a
    `null` default (an optional field is left out, and null is not always offered)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def default_schema(self, schema):
        json_schema = super().default_schema(schema)
        if "default" in json_schema and json_schema["default"] is None:
            del json_schema["default"]
        return json_schema


@cache
def component_schemas() -> dict[str, dict]:
    """Every schema the document refers to, by name."""
    _, top = models_json_schema(
        [(m, "validation") for m in REQUESTS] + [(m, "serialization") for m in ANSWERS],
        ref_template=REF_TEMPLATE,
        schema_generator=_Schema,
    )
    return top["$defs"]


PROPERTY_REQUEST = component_schemas()["PropertyRequest"]


def _ref(name: str) -> dict:
    return {"$ref": REF_TEMPLATE.format(model=name)}


def query_parameters(query: type[BaseModel]) -> list[dict]:
    """The fields of a query model as OpenAPI query parameters."""
    schema = query.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=_Schema)
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        description = field.pop("description", "")
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", ()),
                "schema": field,
                "description": description,
            }
        )
    return parameters


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, model: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": _ref(model)}}}
    if headers:
        answer["headers"] = headers
    return answer


RATE_HEADERS = {
    "X-RateLimit-Limit": {
        "schema": {"type": "integer"},
        "description": "Items per window (a request costs 1, a batch its number of items).",
    },
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds to reset."},
}

AUTH_ERRORS = {
    "401": _error("Missing, unknown or revoked API key."),
    "429": {
        **_error("Rate limit exceeded, or too many requests of this key at once."),
        "headers": {
            "Retry-After": {
                "schema": {"type": "integer"},
                "required": True,
                "description": "Seconds to wait.",
            }
        },
    },
    "503": _error("No model is being served yet, or API keys cannot be checked now."),
}

BODY_ERRORS = {
    "400": _error("Malformed JSON, or bad fields: each is named with the reason."),
    "413": _error("Body larger than the limit."),
    "415": _error("The body is not JSON (send Content-Type: application/json)."),
}
QUERY_ERRORS = {
    "400": _error("Bad or unknown parameters, each named with the reason."),
    "422": _error("Outside the model's coverage."),
}


def _operation(
    summary: str,
    operation_id: str,
    responses: dict,
    *,
    public: bool = False,
    parameters: list | None = None,
    body: str | None = None,
) -> dict:
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": operation_id,
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if public:
        operation["security"] = []
    else:
        operation["responses"] = {**responses, **AUTH_ERRORS}
    return operation


def _estimate_paths() -> dict:
    return {
        "/estimates": {
            "post": _operation(
                "Estimate one home",
                "createEstimate",
                {
                    "200": _json(
                        "The estimate, its range, explanation and context.",
                        "EstimateResponse",
                        RATE_HEADERS,
                    ),
                    **BODY_ERRORS,
                    "422": _error("Outside the model's coverage; `code` and `message` say why."),
                },
                body="EstimateRequest",
            )
        },
        "/estimates/batch": {
            "post": _operation(
                "Estimate up to 1000 homes",
                "createEstimateBatch",
                {
                    "200": _json(
                        "One result or one error per property, in order.",
                        "BatchResponse",
                        RATE_HEADERS,
                    ),
                    **BODY_ERRORS,
                },
                body="BatchRequest",
            )
        },
    }


def _read_paths() -> dict:
    return {
        "/comparables": {
            "get": _operation(
                "Past sales around a point",
                "listComparables",
                {
                    "200": _json("Nearest sales first.", "ComparablesResponse", RATE_HEADERS),
                    **QUERY_ERRORS,
                },
                parameters=query_parameters(ComparablesQuery),
            )
        },
        "/neighbourhood": {
            "get": _operation(
                "Tranquillity and price indicators for a place",
                "getNeighbourhood",
                {
                    "200": _json(
                        "What is known about the place, with sources and years.",
                        "NeighbourhoodResponse",
                        RATE_HEADERS,
                    ),
                    **QUERY_ERRORS,
                },
                parameters=query_parameters(NeighbourhoodQuery),
            )
        },
    }


def _service_paths() -> dict:
    return {
        "/model": {
            "get": _operation(
                "The model being served",
                "getModel",
                {
                    "200": _json(
                        "Version, training window, data date, evaluation metrics.",
                        "ModelInfo",
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
                    "200": _json("Serving.", "Health"),
                    "503": _json("No model promoted yet.", "Health"),
                },
                public=True,
            )
        },
        "/openapi.json": {
            "get": _operation(
                "This document (public)",
                "getOpenApi",
                {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
                public=True,
            )
        },
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
        "paths": {**_estimate_paths(), **_read_paths(), **_service_paths()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `immoval apikeys create`.",
                }
            },
            "schemas": copy.deepcopy(component_schemas()),
        },
    }
