"""Fetching the raw data: transport, verification, manifest and the `immoval fetch` command."""

from training.fetch.command import fetch

__all__ = ["fetch"]
