"""Fetching the raw data: transport, verification, manifest and the run over a catalogue.

The `immoval fetch` command is in `training.commands.fetch`.
"""
