"""Fixtures of the site's integration tests."""

from __future__ import annotations

import secrets

import pytest


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
