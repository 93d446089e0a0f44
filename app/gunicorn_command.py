"""The one gunicorn command line (the Procfile's), and a local server started with it.

`immoval serve` execs `gunicorn_argv()`; the tests under load and the benchmarks start
`start_local()` on a loopback port and wait for it with `wait_until_healthy()`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

CONFIG = Path(__file__).with_name("gunicorn_conf.py")
APP = "app:create_app()"
ROOT = CONFIG.parents[1]


def gunicorn_argv(*options: str) -> list[str]:
    """`gunicorn -c app/gunicorn_conf.py [options] 'app:create_app()'` with this Python."""
    return [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), *options, APP]


def start_local(
    home: Path,
    port: int,
    env: dict[str, str | None],
    output: IO | int = subprocess.DEVNULL,
    access_log: Path | None = None,
) -> subprocess.Popen:
    """Gunicorn for `home` on 127.0.0.1:`port` (access log off, or written to `access_log`),
    in a session of its own so that `os.killpg` stops its workers too. `env` is laid over
    this process's environment; a None value removes that variable."""
    merged = {**os.environ, "IMMOVAL_HOME": str(home), "PORT": str(port), **env}
    log = str(access_log) if access_log is not None else "/dev/null"
    return subprocess.Popen(
        gunicorn_argv("--bind", f"127.0.0.1:{port}", "--access-logfile", log),
        cwd=ROOT,
        env={name: value for name, value in merged.items() if value is not None},
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def wait_until_healthy(server: subprocess.Popen, port: int, timeout: float = 120.0) -> None:
    """Return once /api/v1/health answers 200; RuntimeError if gunicorn exits or is late."""
    url = f"http://127.0.0.1:{port}/api/v1/health"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:  # still starting (refused, reset or an error status)
            pass
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")
        time.sleep(0.2)
