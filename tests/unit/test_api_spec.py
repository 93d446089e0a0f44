"""The OpenAPI document is valid 3.1, every reference resolves, and it matches the views."""

from __future__ import annotations

import json

import jsonschema
from jsonschema.validators import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from schemathesis.specs.openapi.definitions import OPENAPI_31

from app.api import spec
from app.api.queries import COMPARABLES_PARAMETERS, NEIGHBOURHOOD_PARAMETERS
from app.requests import ESTIMATE_FIELDS


def test_the_document_is_valid_openapi_31():
    document = spec.build_spec()
    jsonschema.validate(document, OPENAPI_31)
    json.dumps(document)  # plain JSON


def test_component_schemas_are_valid_json_schemas_and_references_resolve():
    document = spec.build_spec()
    registry = Registry().with_resource("urn:spec", DRAFT202012.create_resource(document))
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    resolver = registry.resolver(base_uri="urn:spec")
    for ref in set(refs):
        resolver.lookup(ref)  # raises when a reference does not resolve


def test_only_health_and_the_spec_are_public():
    paths = spec.build_spec()["paths"]
    public = {
        (path, method)
        for path, item in paths.items()
        for method, op in item.items()
        if op.get("security") == []
    }
    assert public == {("/health", "get"), ("/openapi.json", "get")}
    for path, item in paths.items():
        for method, op in item.items():
            if (path, method) not in public:
                assert {"401", "429"} <= set(op["responses"]), (path, method)


def test_request_schemas_name_the_fields_the_views_accept():
    schemas = spec.build_spec()["components"]["schemas"]
    assert set(schemas["PropertyRequest"]["properties"]) == set(ESTIMATE_FIELDS)
    assert schemas["PropertyRequest"]["additionalProperties"] is False
    single = schemas["EstimateRequest"]
    assert set(single["properties"]) == {*ESTIMATE_FIELDS, "explain"}
    assert single["properties"]["explain"] == {**single["properties"]["explain"], "default": True}
    assert single["additionalProperties"] is False and single["anyOf"]
    body = spec.build_spec()["paths"]["/estimates"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/EstimateRequest")
    paths = spec.build_spec()["paths"]
    names = lambda op: {p["name"] for p in op["parameters"]}  # noqa: E731
    assert names(paths["/comparables"]["get"]) == set(COMPARABLES_PARAMETERS)
    assert names(paths["/neighbourhood"]["get"]) == set(NEIGHBOURHOOD_PARAMETERS)


def test_a_property_request_needs_a_place():
    validator = Draft202012Validator(
        {**spec.PROPERTY_REQUEST, "$defs": {}}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    base = {"property_type": "house", "living_area_m2": 80, "rooms": 4}
    assert not validator.is_valid(base)
    assert not validator.is_valid({**base, "latitude": 45})
    assert validator.is_valid({**base, "latitude": 45, "longitude": 3})
    assert validator.is_valid({**base, "address": "1 place Bellecour, Lyon"})
    assert not validator.is_valid({**base, "address": "x", "surface": 3})


def test_the_documented_examples_are_valid_requests():
    from datetime import date

    from app.geocoding import Location
    from app.requests import parse_estimate_request

    validator = Draft202012Validator(
        spec.PROPERTY_REQUEST, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    somewhere = Location(48.8555, 2.3604, "housenumber", "offline-ban")
    for example in spec.PROPERTY_REQUEST["examples"]:
        assert validator.is_valid(example)
        parse_estimate_request(
            example,
            lambda _: somewhere,
            allowed_fields=ESTIMATE_FIELDS,
            typed=True,
            today=date(2025, 6, 1),
        )
