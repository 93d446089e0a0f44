"""DGFiP's raw national layout gives the same sales as geo-DVF on the rows they share."""

from __future__ import annotations

from training.dvf import RAW_DGFIP_COLUMNS, read_raw_dgfip

# The raw file's 43 columns (the CGI article columns are not read).
RAW_HEADER = (
    "Code service CH|Reference document|1 Articles CGI|2 Articles CGI|3 Articles CGI|"
    "4 Articles CGI|5 Articles CGI|No disposition|Date mutation|Nature mutation|Valeur fonciere|"
    "No voie|B/T/Q|Type de voie|Code voie|Voie|Code postal|Commune|Code departement|"
    "Code commune|Prefixe de section|Section|No plan|No Volume|1er lot|Surface Carrez du 1er lot|"
    "2eme lot|Surface Carrez du 2eme lot|3eme lot|Surface Carrez du 3eme lot|4eme lot|"
    "Surface Carrez du 4eme lot|5eme lot|Surface Carrez du 5eme lot|Nombre de lots|"
    "Code type local|Type local|Identifiant local|Surface reelle bati|"
    "Nombre pieces principales|Nature culture|Nature culture speciale|Surface terrain"
).split("|")

PARIS_1 = {"No disposition": "000001", "Date mutation": "02/07/2020", "Nature mutation": "Vente",
           "Valeur fonciere": "1670000,00", "No voie": "20", "Type de voie": "RUE",
           "Code voie": "1105", "Voie": "DES BONS ENFANTS", "Code postal": "75001",
           "Commune": "PARIS 01", "Code departement": "75", "Code commune": "101",
           "Section": "AU", "No plan": "18"}  # fmt: skip
PARIS_13 = {"No disposition": "000001", "Date mutation": "01/07/2020",
            "Nature mutation": "Vente en l'état futur d'achèvement", "Valeur fonciere": "556000,00",
            "No voie": "8", "Type de voie": "RUE", "Code voie": "5597", "Voie": "LEREDDE",
            "Code postal": "75013", "Commune": "PARIS 13", "Code departement": "75",
            "Code commune": "113", "Section": "CG", "No plan": "67"}  # fmt: skip
BONSECOURS = {"No disposition": "000001", "Date mutation": "10/07/2020", "Nature mutation": "Vente",
              "Valeur fonciere": "271950,00", "Type de voie": "RUE", "Code voie": "3200",
              "Voie": "DU GENERAL LECLERC", "Code postal": "76240", "Commune": "BONSECOURS",
              "Code departement": "76", "Code commune": "103", "Section": "AE",
              "Nombre de lots": "0"}  # fmt: skip

# The rows of 2020-814517, 2020-821742 and 2020-606999 (see test_sales_mutations) written by
# hand in the raw layout: dd/mm/yyyy dates, decimal commas, parcel and commune codes in parts.
RAW_ROWS = [
    {**PARIS_1, "1er lot": "34", "2eme lot": "9", "Surface Carrez du 2eme lot": "107,29",
     "Nombre de lots": "2", "Code type local": "2", "Type local": "Appartement",
     "Surface reelle bati": "120", "Nombre pieces principales": "5"},
    {**PARIS_1, "1er lot": "75", "Nombre de lots": "1", "Code type local": "3",
     "Type local": "Dépendance", "Nombre pieces principales": "0"},
    {**PARIS_1, "1er lot": "20", "Nombre de lots": "1", "Code type local": "3",
     "Type local": "Dépendance", "Nombre pieces principales": "0"},
    {**PARIS_13, "1er lot": "26", "Nombre de lots": "1", "Code type local": "2",
     "Type local": "Appartement", "Surface reelle bati": "46", "Nombre pieces principales": "2"},
    {**BONSECOURS, "No plan": "486", "Nature culture": "S", "Surface terrain": "48"},
    {**BONSECOURS, "No voie": "13", "No plan": "606", "Code type local": "1",
     "Type local": "Maison", "Surface reelle bati": "160", "Nombre pieces principales": "6",
     "Nature culture": "AG",
     "Surface terrain": "2277"},
    {**BONSECOURS, "No voie": "13", "No plan": "606", "Code type local": "1",
     "Type local": "Maison", "Surface reelle bati": "160", "Nombre pieces principales": "6",
     "Nature culture": "S",
     "Surface terrain": "1000"},
]  # fmt: skip

SHARED_FIELDS = [
    "date", "nature", "is_vefa", "price", "property_type", "living_area_m2", "carrez_area_m2",
    "rooms", "land_area_m2", "outbuildings", "lots", "parcel_id", "address_number", "street",
    "street_code", "postcode", "code_commune", "code_commune_stats", "departement",
]  # fmt: skip


def write_raw(path, rows):
    lines = ["|".join(RAW_HEADER)] + ["|".join(row.get(c, "") for c in RAW_HEADER) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_header_lists_every_column_read():
    assert set(RAW_DGFIP_COLUMNS) <= set(RAW_HEADER)


def test_raw_mutations_are_runs_of_consecutive_rows(tmp_path):
    path = tmp_path / "valeursfoncieres-2020.txt"
    write_raw(path, RAW_ROWS)
    rows, _ = read_raw_dgfip(path)
    # 3 + 1 + 3 rows; ids name the year and the first line of each mutation.
    assert (
        rows["id_mutation"].tolist() == ["brut-2020-2"] * 3 + ["brut-2020-5"] + ["brut-2020-6"] * 3
    )
