"""Tranquillity signals at preparation time: SSMSI incident rates and camera locations."""

from training.tranquillity.build import add_features, build_reference, prepare_tranquillity

__all__ = ["add_features", "build_reference", "prepare_tranquillity"]
