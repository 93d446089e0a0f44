"""Fixtures of the API tests on the real small model."""

from __future__ import annotations

import pytest

from tests.integration.api_helpers import PLACES, create_key


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
