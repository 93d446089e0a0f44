"""The pipeline's own errors: raised by the steps, turned into click errors by the commands."""

from __future__ import annotations


class PipelineError(Exception):
    """A step cannot go on; the message says why and what to do (the CLI exits with 1)."""


class SettingsError(PipelineError):
    """An `IMMOVAL_*` variable the pipeline cannot use (the CLI exits with 2, a usage error)."""
