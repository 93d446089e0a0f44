"""Tranquillity signals of a place: recorded incidents of its commune and cameras around it.

Serving side: loads the tables `immoval prepare` wrote to `reference/tranquillity/` and
answers with numpy and scikit-learn only (no geopandas). `Tranquillity.features` is the
one definition of the `tq_*` features, used on the whole sales table at prepare time and
on one point at serving; `Tranquillity.summary` turns the same look-ups into structured
values the app words. Unknown is NaN (None in JSON), never 0.

Modules: `tables` (rates per area × year), `grid` (distances, one-point camera search),
`cameras` (counts within radii, coverage), `features` (the `tq_*` features), `summary`
(the display values), `signals` (the `Tranquillity` facade).
"""

from model.tranquillity.cameras import CAMERA_FEATURES, NEAREST_CAP_M, RADII_M
from model.tranquillity.features import FEATURES
from model.tranquillity.signals import Tranquillity
from model.tranquillity.summary import TREND_YEARS, CameraCounts, GroupFigures, Summary
from model.tranquillity.tables import GROUPS, MAX_AGE_YEARS

__all__ = [
    "CAMERA_FEATURES",
    "FEATURES",
    "GROUPS",
    "MAX_AGE_YEARS",
    "NEAREST_CAP_M",
    "RADII_M",
    "TREND_YEARS",
    "CameraCounts",
    "GroupFigures",
    "Summary",
    "Tranquillity",
]
