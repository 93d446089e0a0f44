"""A house number found in the offline index brings the parcel of earlier sales there."""

from __future__ import annotations

import pandas as pd

from app.geocoding import OfflineIndex
from model.address_index import INDEX_FILE, AddressIndexWriter
from tests.unit.test_geocoding_parts import COMMUNES

BAN = pd.DataFrame(
    {
        "number": ["12", "12", "14"],
        "suffix": ["", "bis", ""],
        "street": ["Rue de Rivoli"] * 3,
        "postcode": ["75004"] * 3,
        "code_commune": ["75104"] * 3,
        "commune_name": ["Paris 4e"] * 3,
        "latitude": [48.8556, 48.8557, 48.8558],
        "longitude": [2.3600, 2.3601, 2.3602],
        "source": ["ban"] * 3,
        "departement": ["75"] * 3,
    }
)
# DVF's spelling of the street; 14 was sold twice (the last listed parcel is kept).
SALES = pd.DataFrame(
    {
        "number": ["0012", "14", "14", "16"],
        "suffix": [None, None, None, None],
        "street": ["RUE DE RIVOLI"] * 4,
        "code_commune": ["75104"] * 4,
        "parcel_id": ["75104000AB0012", "75104000AB0013", "75104000AB0014", "75104000AB0016"],
    }
)


def test_a_house_number_brings_its_parcel_matched_on_the_streets_words(tmp_path):
    writer = AddressIndexWriter(tmp_path / INDEX_FILE)
    writer.add(BAN)
    writer.add_parcels(SALES)
    index = OfflineIndex(writer.finish(), COMMUNES)
    assert index.search("12 rue de Rivoli 75004 Paris")[0].parcel_id == "75104000AB0012"
    assert index.search("14 rue de Rivoli 75004 Paris")[0].parcel_id == "75104000AB0014"
    # 12 bis has no sale of its own: no parcel (12's is another home's).
    bis = index.search("12 bis rue de Rivoli 75004 Paris")[0]
    assert bis.precision == "housenumber" and bis.parcel_id is None
    assert index.search("12 ter rue de Rivoli 75004 Paris")[0].parcel_id is None
