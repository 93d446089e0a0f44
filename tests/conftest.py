"""Fixtures shared by every layer of tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items):
    """Mark each test by its folder, so that `pytest -m unit` runs the unit tests."""
    for item in items:
        layer = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real open data mirror (`../shared/data`, or IMMOVAL_TEST_DATA)."""
    path = Path(os.environ.get("IMMOVAL_TEST_DATA") or ROOT.parent / "shared" / "data").resolve()
    if not (path / "geo-dvf").is_dir():
        pytest.fail(f"real data mirror not found at {path}: set IMMOVAL_TEST_DATA")
    return path


# The slice of the mirror the small real model is trained on: Paris, 2023–2024.
MODEL_HOME_DVF = ("geo-dvf/latest/csv/2023/departements/75.csv.gz",
                  "geo-dvf/latest/csv/2024/departements/75.csv.gz")  # fmt: skip
MODEL_HOME_FOLDERS = ("ssmsi", "cameras", "communes", "ban", "transport", "insee", "iris")


@pytest.fixture(scope="session")
def model_home(shared_data, tmp_path_factory) -> Path:
    """A home with a small real model trained and promoted: Paris sales of 2023–2024."""
    from click.testing import CliRunner

    from training.cli import main

    home = tmp_path_factory.mktemp("model-home")
    raw = home / "raw"
    for relative in MODEL_HOME_DVF:
        (raw / relative).parent.mkdir(parents=True, exist_ok=True)
        (raw / relative).symlink_to(shared_data / relative)
    for folder in MODEL_HOME_FOLDERS:
        (raw / folder).symlink_to(shared_data / folder, target_is_directory=True)
    runner = CliRunner()
    for args in (["prepare"], ["train", "--n-estimators", "60"]):
        result = runner.invoke(main, ["--home", str(home), *args])
        if result.exit_code != 0:
            raise RuntimeError(f"immoval {' '.join(args)} failed:\n{result.output}") from (
                result.exception
            )
    return home


@pytest.fixture(scope="session")
def app_for(tmp_path_factory):
    """A function building the real app of a home, with a database of its own: API keys,
    rate-limit windows and the usage log start empty."""
    from app import create_app

    def build(home: Path):
        database = tmp_path_factory.mktemp("app-db") / "immoval.sqlite3"
        return create_app(
            {
                "HOME": str(home),
                "TESTING": True,
                "GEOCODER_URL": "",
                "DATABASE_URL": f"sqlite:///{database}",
            }
        )

    return build


@pytest.fixture(scope="module")
def app(model_home, app_for):
    """The real app serving the small real model built by `model_home`, fresh per module."""
    return app_for(model_home)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture(scope="session")
def cluster():
    """A `dask.distributed.LocalCluster` of two worker processes, as the issue's checks ask."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        # A free port for its HTTP server: 8787 may be taken by another cluster on the machine.
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=":0",
    ) as local:
        yield local
