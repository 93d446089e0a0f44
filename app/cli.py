"""The app's commands, added to `immoval` through entry points: apikeys, usage, serve."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

# The app's modules are imported inside the commands: `immoval` loads this file at
# start-up, and the pipeline's commands must not depend on the web app importing.


def _database(ctx: click.Context):
    from app.db import Database, database_url
    from model.settings import home_from_env

    home = (ctx.obj or {}).get("home") or home_from_env()
    return Database(database_url(home, os.environ.get("IMMOVAL_DATABASE_URL")))


@click.group("apikeys")
def apikeys() -> None:
    """Create, list and revoke the agents' API keys."""


@apikeys.command("create")
@click.option("--name", required=True, help="Who the key is for, e.g. the agency's name.")
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=None,
    help="Requests per window (API_RATE_WINDOW, 60 s by default) for this key "
    "(default: the app's API_RATE_LIMIT).",
)
@click.pass_context
def create(ctx: click.Context, name: str, rate_limit: int | None) -> None:
    """Create a key and print it once: it is stored hashed and cannot be shown again."""
    from app import apikeys as keys

    try:
        record, key = keys.create_key(_database(ctx), name, rate_limit)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--name") from exc
    click.echo(f"API key #{record.id} for {record.name!r} (shown once, keep it safe):", err=True)
    click.echo(key)


@apikeys.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every key: id, start of the key, name, limit, created, revoked."""
    from app import apikeys as keys

    records = keys.list_keys(_database(ctx))
    if not records:
        click.echo("no API keys yet: immoval apikeys create --name AGENCY")
        return
    click.echo(f"{'id':>4}  {'key':<14} {'limit/min':>9}  {'created':<16}  {'revoked':<16}  name")
    for r in records:
        click.echo(
            f"{r.id:>4}  {r.prefix + '…':<14} {r.rate_limit or 'default':>9}  "
            f"{_when(r.created_at):<16}  {_when(r.revoked_at) or '-':<16}  {keys.printable(r.name)}"
        )


@apikeys.command("revoke")
@click.argument("key_id", type=int)
@click.pass_context
def revoke(ctx: click.Context, key_id: int) -> None:
    """Revoke the key KEY_ID (see `list`); workers refuse it within seconds."""
    from app import apikeys as keys

    record = keys.revoke_key(_database(ctx), key_id)
    if record is None:
        raise click.ClickException(f"no API key #{key_id}")
    name = keys.printable(record.name)
    click.echo(f"API key #{record.id} ({name}) revoked at {_when(record.revoked_at)}")


@click.command("usage")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Summarise the last DAYS days.",
)
@click.pass_context
def usage(ctx: click.Context, days: int) -> None:
    """Requests per key and endpoint: volume, errors, rate-limited, latency, model versions."""
    from app import usage as usage_log
    from app.apikeys import printable

    since = datetime.now(UTC) - timedelta(days=days)
    rows, versions = usage_log.summary(_database(ctx), since)
    click.echo(f"API usage since {_when(since)} UTC")
    if not rows:
        click.echo("no requests")
        return
    click.echo(
        f"{'key':<24} {'endpoint':<28} {'requests':>8} {'items':>8} {'errors':>7} "
        f"{'429':>6} {'mean ms':>8} {'max ms':>8}  last"
    )
    for row in rows:
        name = printable(row["name"] or "")
        key = f"#{row['key_id']} {name}" if row["key_id"] else "(no valid key)"
        click.echo(
            f"{key[:24]:<24} {row['endpoint'][:28]:<28} {row['requests']:>8} {row['items']:>8} "
            f"{row['errors']:>7} {row['limited']:>6} {row['mean_latency_ms']:>8.1f} "
            f"{row['max_latency_ms']:>8.1f}  {_when(row['last'])}"
        )
    click.echo(
        "requests per model version: "
        + ", ".join(f"{v['model_version']}: {v['requests']}" for v in versions)
        if versions
        else ""
    )


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.option("--port", envvar="PORT", default=8000, show_default=True, type=int)
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def serve(ctx: click.Context, port: int, gunicorn_args: tuple[str, ...]) -> None:
    """Serve the site and the API with gunicorn (app/gunicorn_conf.py); extra args go to it."""
    home = (ctx.obj or {}).get("home")
    env = {**os.environ, "PORT": str(port)}
    if home:
        env["IMMOVAL_HOME"] = str(Path(home).resolve())
    from app.gunicorn_command import gunicorn_argv

    argv = gunicorn_argv(*gunicorn_args)
    # Replace this process: signals (TERM for graceful stop, HUP) go straight to gunicorn.
    os.execvpe(argv[0], argv, env)


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
