"""Surroundings at preparation time: stations, coast, INSEE incomes and equipment."""

from training.surroundings.build import add_features, build_reference, known_shares

__all__ = ["add_features", "build_reference", "known_shares"]
