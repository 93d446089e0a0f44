"""The Procfile, `immoval serve`, the tests and the benchmarks start one gunicorn command."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from app.gunicorn_command import CONFIG, ROOT, gunicorn_argv, start_local, wait_until_healthy


def test_the_procfile_runs_the_same_command():
    process, command = (ROOT / "Procfile").read_text().strip().split(":", 1)
    procfile = shlex.split(command)
    argv = gunicorn_argv()
    assert process == "web"
    assert procfile[0] == "gunicorn" and argv[1:3] == ["-m", "gunicorn"]
    assert (ROOT / procfile[2]).resolve() == CONFIG
    assert procfile[1] == argv[3] == "-c" and procfile[3] == argv[-1]


def test_options_go_between_the_config_and_the_app():
    argv = gunicorn_argv("--bind", "127.0.0.1:1")
    assert argv[0] == sys.executable
    assert argv[-3:-1] == ["--bind", "127.0.0.1:1"] and argv[-1] == "app:create_app()"


def test_an_exiting_server_is_reported_not_waited_for(tmp_path, monkeypatch):
    # A server that exits at once: the wait says so instead of waiting for its timeout.
    monkeypatch.setattr(
        "app.gunicorn_command.gunicorn_argv",
        lambda *o: [sys.executable, "-c", "raise SystemExit(3)"],
    )
    server = start_local(tmp_path, 1, {"IMMOVAL_DATABASE_URL": None}, subprocess.DEVNULL)
    with pytest.raises(RuntimeError, match="exited with status 3"):
        wait_until_healthy(server, 1, timeout=30)
