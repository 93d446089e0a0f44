"""Fixtures of the integration tests on the real small model: the API's and the site's."""

from __future__ import annotations

import secrets

import pytest

from tests.integration.api_helpers import PLACES, create_key
from tests.integration.publisher import publishing


@pytest.fixture(scope="module")
def key(app, model_home, request):
    """A key of the module's app, created through the CLI, with a limit no test reaches."""
    return create_key(
        model_home,
        f"Agence de {request.module.__name__.rsplit('.', 1)[-1]}",
        rate_limit=100_000,
        database_url=app.config["DATABASE_URL"],
    )


@pytest.fixture(scope="module")
def place(app):
    """A central point of a département the model covers."""
    from app.model_store import get_estimator

    with app.app_context():
        covered = get_estimator().departements
    return next(PLACES[d] for d in PLACES if d in covered)


@pytest.fixture()
def web_client(app):
    """A test client with an address of its own: the site's per-IP limits count per test."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    return client


@pytest.fixture()
def estimator(app):
    """The champion estimator the app serves."""
    from app.model_store import get_estimator

    with app.test_request_context():
        return get_estimator()


@pytest.fixture
def publisher(tmp_path):
    """A real HTTP server on 127.0.0.1 publishing the files of `tmp_path / "site"`."""
    with publishing(tmp_path / "site") as httpd:
        yield httpd
