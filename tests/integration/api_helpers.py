"""Helpers for the API tests: keys made through the real CLI, answers checked against the spec."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

from click.testing import CliRunner
from jsonschema.validators import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.api.spec import build_spec

# A central point in each département of the shared data; tests use those the model covers.
PLACES = {
    "75": (48.8566, 2.3522),  # Paris, Hôtel de Ville
    "59": (50.6365, 3.0635),  # Lille
    "34": (43.6108, 3.8767),  # Montpellier
    "76": (49.4431, 1.0993),  # Rouen
}
STRASBOURG = (48.5734, 7.7521)  # Bas-Rhin: Alsace-Moselle is not in DVF


def create_key(
    home: Path,
    name: str = "Agence de test",
    rate_limit: int | None = None,
    database_url: str | None = None,
) -> str:
    """A key created by `immoval apikeys create`, as an operator would (in the app's own
    database when `database_url` is given, as `IMMOVAL_DATABASE_URL` says in production)."""
    from training.cli import main

    args = ["--home", str(home), "apikeys", "create", "--name", name]
    if rate_limit is not None:
        args += ["--rate-limit", str(rate_limit)]
    env = {"IMMOVAL_DATABASE_URL": database_url} if database_url else None
    result = CliRunner().invoke(main, args, catch_exceptions=False, env=env)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def within_one_window(seconds: float = 15.0, window: int = 60) -> None:
    """Wait for the next fixed window when fewer than `seconds` are left in this one: a
    test counting requests against a limit must not straddle two windows (the second
    starts a fresh count, and a 429 it expects never comes)."""
    left = window - time.time() % window
    if left < seconds:
        time.sleep(left + 0.05)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@cache
def _spec_and_registry():
    document = build_spec()
    return document, Registry().with_resource("urn:spec", DRAFT202012.create_resource(document))


def response_errors(body, path: str, method: str, status: int) -> list[str]:
    """Why `body` does not match what the spec documents for this answer (empty when it does)."""
    document, registry = _spec_and_registry()
    responses = document["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(
        {"$id": "urn:answer", **_resolve_refs(schema)},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def _resolve_refs(node):
    # Inline schemas point at components with "#/...": make them absolute.
    if isinstance(node, dict):
        return {
            k: ("urn:spec" + v if k == "$ref" and v.startswith("#") else _resolve_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve_refs(v) for v in node]
    return node


def assert_documented(response, path: str, method: str = "get") -> dict:
    """The JSON body of a real answer, after checking it against the spec."""
    body = response.get_json()
    errors = response_errors(body, path, method, response.status_code)
    assert not errors, errors[:5]
    return body
