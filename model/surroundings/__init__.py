"""Surroundings of a place: public facts about where a home is that DVF does not record.

Railway and metro/RER/tram stations (a station counts from its opening where known), the
sea and the commune's centre (distances in metres), the commune's and the IRIS's median
income (INSEE Filosofi) and everyday equipment (INSEE BPE). Serving side: loads the tables
`immoval prepare` wrote to `reference/surroundings/` and answers with numpy, scikit-learn
trees and shapely only (no geopandas). `Surroundings.features` is the one definition of
the `sr_*` features, used on the whole sales table at training and on one home at serving.
Unknown is NaN, never 0.

Modules: `stations` (nearest open station at a date), `areas` (per-commune and per-IRIS
values by vintage, the IRIS of a point), `signals` (the `Surroundings` facade); the names
and groups of the features are in `model.features.names`.
"""

from model.surroundings.signals import REFERENCE_DIR, Surroundings

__all__ = ["REFERENCE_DIR", "Surroundings"]
