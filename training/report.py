"""`immoval report [VERSION]`: the data team's report, one self-contained HTML file.

What each release held (volumes, cleaning counts), the market index of the two versions
compared (VERSION and the champion, or the version served before) with the months carried
past each one's data end, the drift of every feature between their training data (PSI on
a sample of each bundle's sales, features computed by the bundle's own serving code), the
accuracy and coverage of every version, and the API usage log. Figures are PNG embedded as
base64: the file opens anywhere, offline.
"""

from __future__ import annotations

import base64
import html
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from model import registry
from model.settings import Layout
from training import report_figures as figures
from training.errors import PipelineError

DRIFT_SAMPLE = 5_000
USAGE_DAYS = 30
OUTCOMES = {
    "2xx": "répondu",
    "400": "requête invalide",
    "401": "clé refusée",
    "403": "clé refusée",
    "422": "refus : hors couverture",
    "429": "limite atteinte",
    "5xx": "erreur serveur",
}


def outcome(status: int) -> str:
    """The outcome of an API request from its status (the usage log keeps no more)."""
    if 200 <= status < 300:
        return OUTCOMES["2xx"]
    if status >= 500:
        return OUTCOMES["5xx"]
    return OUTCOMES.get(str(status), f"autre {status}")


def pick(models: Path, version: str | None, against: str | None = None) -> tuple[str, str | None]:
    """The version reported on (the newest if None) and the one it is compared with
    (`against`, else the champion, else — it is the champion — the version served before
    it, else the previous one)."""
    names = [v["version"] for v in registry.list_versions(models) if not v["error"]]
    if not names:
        raise PipelineError(f"no model version in {models}: run `immoval train` first")
    target = registry.version_dir(models, version).name if version else names[-1]
    if against:
        return target, registry.version_dir(models, against).name
    champion = registry.read_champion(models)
    if champion and champion != target:
        return target, champion
    before = [v for v in registry.fallbacks(models, target) if v < target]
    return target, (before[0] if before else None)


def releases(metas: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per version: its data (window, sales read and used, what cleaning removed or
    flagged), and the sales prepare kept per year."""
    rows, kept = [], []
    for version, meta in metas.items():
        counts = pd.DataFrame(meta.get("cleaning") or [])
        sales = meta.get("sales") or {}
        row = {
            "version": version,
            "données jusqu'au": meta.get("data_until"),
            "ventes lues": sales.get("read"),
            "ventes utilisées": sales.get("used"),
            "écartées à l'entraînement": sum((sales.get("left_out") or {}).values()),
        }
        if not counts.empty:
            by_rule = counts[counts["rule"] != "kept"].groupby("rule")["sales"].sum()
            row.update({f"prepare : {rule}": int(n) for rule, n in by_rule.items() if n})
            years = counts[counts["rule"] == "kept"].groupby("year")["sales"].sum()
            kept += [
                {"version": version, "year": int(y), "sales": int(n)} for y, n in years.items()
            ]
        rows.append(row)
    return pd.DataFrame(rows), pd.DataFrame(kept, columns=["version", "year", "sales"])


def feature_sample(bundle_dir: Path, n: int = DRIFT_SAMPLE, seed: int = 0) -> pd.DataFrame:
    """Features of a sample of a bundle's own sales, computed by its serving code from the
    sales before each one: the features it was trained on."""
    from model.estimator import Estimator
    from training.champion import subjects_of

    estimator = Estimator.load(bundle_dir)
    sales = pd.read_parquet(Path(bundle_dir) / "sales.parquet")
    if len(sales) > n:
        sales = sales.sample(n, random_state=seed).sort_values("date")
    batch = estimator.pricer.features(subjects_of(sales.reset_index(drop=True)))
    return pd.DataFrame(batch.matrix, columns=list(batch.names))


def drift(base: pd.DataFrame, target: pd.DataFrame) -> pd.Series:
    """PSI of each feature both have, target against base."""
    shared = [c for c in base.columns if c in target.columns]
    return pd.Series({c: figures.psi(base[c], target[c]) for c in shared}, name="psi")


def usage(home: Path, url: str | None = None, days: int = USAGE_DAYS):
    """The usage log's last `days` days as rows (None when there is no log)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    url = url or os.environ.get("IMMOVAL_DATABASE_URL")
    if not url:
        path = Path(home) / "immoval.sqlite3"
        if not path.is_file():
            return None
        url = f"sqlite:///{path.resolve()}"
    since = datetime.now(UTC) - timedelta(days=days)
    # SELECT *: a log written before `refusals` and the confidence counts still reads.
    query = text("SELECT * FROM usage WHERE at >= :since")
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            rows = pd.read_sql(query, conn, params={"since": since.replace(tzinfo=None)})
        engine.dispose()
    except SQLAlchemyError:
        return None
    rows["at"] = pd.to_datetime(rows["at"], format="mixed")
    rows["outcome"] = [outcome(int(s)) for s in rows["status"]]
    for column in ("refusals", "estimates", "low_confidence"):
        if column not in rows:
            rows[column] = None
    return rows


def parse_refusals(text: str | None) -> dict[str, int]:
    """A usage row's `refusals` (`code=count;…`, as the app writes it) as counts."""
    counts: dict[str, int] = {}
    for part in (text or "").split(";"):
        code, _, n = part.partition("=")
        if code and n.isdigit():
            counts[code] = counts.get(code, 0) + int(n)
    return counts


def refusals_and_confidence(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict | None]:
    """Refused items (single requests and batch items) by reason, and the low-confidence
    share of the estimates answered (None: the log predates those columns)."""
    counts: dict[str, int] = {}
    for text in rows["refusals"].dropna():
        for code, n in parse_refusals(text).items():
            counts[code] = counts.get(code, 0) + n
    reasons = pd.DataFrame(
        sorted(counts.items(), key=lambda item: -item[1]), columns=["raison", "refus"]
    )
    known = rows["estimates"].notna() | rows["refusals"].notna()
    if not known.any():
        return reasons, None
    answered = int(pd.to_numeric(rows["estimates"], errors="coerce").fillna(0).sum())
    low = int(pd.to_numeric(rows["low_confidence"], errors="coerce").fillna(0).sum())
    share = low / answered if answered else None
    return reasons, {"estimates": answered, "low_confidence": low, "share": share}


def usage_tables(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Requests per day × outcome, outcomes overall, latency percentiles per endpoint."""
    daily = (
        rows.groupby([rows["at"].dt.strftime("%Y-%m-%d"), "outcome"]).size().unstack(fill_value=0)
    )
    outcomes = rows["outcome"].value_counts().rename_axis("issue").reset_index(name="requêtes")
    latency = rows.groupby("endpoint")["latency_ms"].agg(
        requêtes="size",
        p50=lambda x: np.percentile(x, 50),
        p90=lambda x: np.percentile(x, 90),
        p99=lambda x: np.percentile(x, 99),
    )
    return daily, outcomes, latency.round(1).reset_index()


# --- HTML --------------------------------------------------------------------------------

STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2rem auto;"
    "padding:0 1rem;color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0 1.2rem;"
    "font-size:13px}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}"
    "th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}"
    "img{max-width:100%;height:auto}.muted{color:#555}"
)
SHOWN_METRICS = ["sales", "mdape", "pe10", "pe20", "coverage"]


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, na_rep="–", border=0, escape=True)


def _figure(data: bytes, alt: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}"></figure>'


def _releases(metas: dict) -> list[str]:
    table, kept = releases(metas)
    out = ['<h2 id="volumes">Volumes et nettoyage par release</h2>', _table(table)]
    if not kept.empty:
        out.append(_figure(figures.volumes(kept), "Ventes retenues par année et par version"))
    return out


def _market(models: Path, metas: dict, shown: list[str]) -> list[str]:
    indexes = {v: pd.read_parquet(models / v / "market_index.parquet") for v in shown}
    last = max(metas[v].get("market_period") or "1970-01" for v in shown)
    figure = figures.markets(indexes, last)
    return ['<h2 id="marche">Indice de marché par département × type</h2>',
            _figure(figure, "Indice de marché de chaque version")]  # fmt: skip


def _drift(models: Path, base: str | None, target: str) -> list[str]:
    out = ['<h2 id="derive">Dérive des variables (PSI)</h2>']
    if not base:
        return [*out, "<p>Une seule version : pas de dérive à mesurer.</p>"]
    psi = drift(feature_sample(models / base), feature_sample(models / target))
    top = psi.sort_values(ascending=False).round(3).rename_axis("variable").reset_index()
    return [
        *out,
        f"<p>Données de {html.escape(target)} contre celles de {html.escape(base)}, sur "
        f"{DRIFT_SAMPLE} ventes au plus de chacune.</p>",
        _figure(figures.drift(psi), "Indice de stabilité de chaque variable"),
        _table(top.head(15)),
    ]


def _accuracy(metas: dict, target: str) -> list[str]:
    frame = pd.DataFrame(
        [{"version": v, "test": " – ".join(m["evaluation"]["test_period"]),
          **m["evaluation"]["results"]["model"]["overall"]} for v, m in metas.items()]
    )  # fmt: skip
    out = [
        '<h2 id="precision">Précision et couverture dans le temps</h2>',
        _figure(figures.accuracy(frame), "Précision de chaque version"),
        _table(frame[["version", "test", *SHOWN_METRICS]].round(4)),
    ]
    comparison = metas[target].get("champion_comparison") or {}
    if comparison.get("results"):
        results = comparison["results"]
        both = pd.DataFrame([{"modèle": k, **results[k]["overall"]} for k in results])
        out += [
            f"<p>Face au champion {html.escape(comparison['champion'])} tel que déployé, sur "
            f"les mêmes {comparison['sales']} ventes ({' – '.join(comparison['period'])}) :</p>",
            _table(both[["modèle", *SHOWN_METRICS]].round(4)),
        ]
    return out


def _usage(home: Path) -> list[str]:
    out = ['<h2 id="usage">Usage du service (30 derniers jours)</h2>']
    rows = usage(home)
    if rows is None or rows.empty:
        out.append("<p>Aucune requête enregistrée.</p>")
    else:
        daily, outcomes, latency = usage_tables(rows)
        out += [
            _figure(figures.usage(daily), "Requêtes par jour et par issue"),
            _table(outcomes),
            "<p>Latence (ms) par point d'accès :</p>",
            _table(latency),
        ]
    if rows is not None and not rows.empty:
        out += _refusals(rows)
    return out


def _refusals(rows: pd.DataFrame) -> list[str]:
    reasons, confidence = refusals_and_confidence(rows)
    if confidence is None:
        return [
            '<p class="muted">Ce journal a été écrit avant que chaque ligne garde la raison '
            "de ses refus et la confiance de ses estimations : ni l'une ni l'autre n'y sont "
            "mesurables.</p>"
        ]
    out = ["<p>Refus (requêtes et éléments de lots) par raison :</p>"]
    out.append(_table(reasons) if not reasons.empty else "<p>Aucun refus.</p>")
    if confidence["share"] is None:
        out.append("<p>Aucune estimation répondue : pas de part de confiance faible.</p>")
    else:
        out.append(
            f"<p>Estimations répondues : {confidence['estimates']}, dont "
            f"{confidence['low_confidence']} de confiance faible "
            f"({100 * confidence['share']:.1f} %).</p>"
        )
    return out


def write_report(
    layout: Layout,
    version: str | None = None,
    output: Path | None = None,
    against: str | None = None,
) -> Path:
    """Gather, draw and write the report; returns its path."""
    models = layout.models
    target, base = pick(models, version, against)
    metas = {
        v["version"]: registry.read_metadata(models, v["version"])
        for v in registry.list_versions(models)
        if not v["error"]
    }
    shown = [v for v in (base, target) if v]
    parts = [
        f"<h1>Rapport de l'équipe données : version {html.escape(target)}</h1>",
        f'<p class="muted">Comparée à {html.escape(base or "aucune autre version")} ; '
        f"produit le {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p>",
        *_releases(metas),
        *_market(models, metas, shown),
        *_drift(models, base, target),
        *_accuracy(metas, target),
        *_usage(layout.home),
    ]
    output = Path(output) if output else layout.home / "reports" / f"report-{target}.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    head = (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>immoval : rapport '
        f"{html.escape(target)}</title><style>{STYLE}</style></head><body>"
    )
    output.write_text(head + "\n".join(parts) + "</body></html>", encoding="utf-8")
    return output
