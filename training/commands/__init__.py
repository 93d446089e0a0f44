"""The `immoval` pipeline commands: click at the edge, one module per step or group.

Each command parses its options, calls the step's functions in the pipeline core and
prints; `context` passes the layout and settings and turns `PipelineError` into a click
error. Modules are imported by `training.cli` only when their command runs.
"""
