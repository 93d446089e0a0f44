"""CPU per estimate request of two checkouts, measured in alternating rounds (paired).

    .venv/bin/python benchmarks/paired.py --home $IMMOVAL_HOME --base 8d1e2a5 [--rounds 10]

On a shared machine the speed drifts by tens of percent within minutes, more than most
changes to the request path: two runs of `request_cost.py` minutes apart compare the
drift. Here the base revision (checked out in a temporary git worktree) and this
checkout each run in a process of their own, the real app through Flask's test client
as in `request_cost.py`, and answer the same rounds of requests in turn (the order
swapped every round). Each round gives the CPU per request of both; the ratio is taken
within the round and its median printed, with both sides' medians and minima, for
`explain` false and true, one client and `--threads` clients (homes coalesced).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = [(explain, clients) for explain in (False, True) for clients in (1, 8)]


def serve(checkout: Path, home: Path, requests: int) -> None:
    """One side: load the app of `checkout` (its code first on the path), then answer rounds
    read from stdin (`[explain, clients]`) with the CPU milliseconds per request."""
    sys.path.insert(0, str(checkout))
    import app as served  # which code answers: the checkout's, not the installed project's
    from benchmarks.api import properties, sample_places
    from benchmarks.request_cost import build_app

    app, headers = build_app(home)
    homes = properties(sample_places(home, requests))
    client = app.test_client()
    for body in homes[:40]:  # warm-up: lazily built structures, caches
        for explain in (True, False):
            client.post("/api/v1/estimates", headers=headers, json={**body, "explain": explain})
    print("ready", Path(served.__file__).resolve().parents[1], flush=True)
    for line in sys.stdin:
        explain, clients = json.loads(line)
        bodies = [{**body, "explain": explain} for body in homes]
        print(post_concurrently(app, headers, bodies, clients) / len(bodies) * 1000, flush=True)


def post_concurrently(app, headers: dict, bodies: list[dict], clients: int) -> float:
    """Process CPU seconds for `clients` threads (a worker's) to post `bodies`, shared out,
    to POST /api/v1/estimates; stops at an answer other than 200 or 422."""

    def post_all(share):
        local = app.test_client()
        for body in share:
            answer = local.post("/api/v1/estimates", headers=headers, json=body)
            if answer.status_code not in (200, 422):
                raise SystemExit(f"{answer.status_code}: {answer.get_data(as_text=True)}")

    started = time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post_all, [bodies[k::clients] for k in range(clients)]))
    return time.process_time() - started


def side(checkout: Path, home: Path, requests: int) -> subprocess.Popen:
    # This script serves both sides (an older revision may not have it), from their code.
    command = [sys.executable, __file__, "--serve", str(checkout), "--home", str(home)]
    process = subprocess.Popen(
        [*command, "--requests", str(requests)],
        cwd=checkout,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    while (line := process.stdout.readline()) and not line.startswith("ready "):
        pass
    if process.poll() is not None:
        raise SystemExit(f"{checkout}: the app did not start")
    code = Path(line.split(maxsplit=1)[1].strip())
    if code != checkout.resolve():
        raise SystemExit(f"the side of {checkout} runs the code of {code}")
    return process


def ask(process: subprocess.Popen, explain: bool, clients: int) -> float:
    process.stdin.write(json.dumps([explain, clients]) + "\n")
    process.stdin.flush()
    return float(process.stdout.readline())


def compare(base: subprocess.Popen, head: subprocess.Popen, rounds: int) -> None:
    print(f"{'explain, clients':<18} {'base ms':>15} {'this ms':>15}  this/base (paired median)")
    for explain, clients in MODES:
        figures = {"base": [], "this": []}
        for k in range(rounds):
            order = [("base", base), ("this", head)]
            for name, process in order if k % 2 == 0 else order[::-1]:
                figures[name].append(ask(process, explain, clients))
        ratios = [h / b for b, h in zip(figures["base"], figures["this"], strict=True)]
        shown = {
            name: f"{statistics.median(v):.2f} (min {min(v):.2f})" for name, v in figures.items()
        }
        label, ratio = f"{str(explain).lower()}, {clients}", statistics.median(ratios)
        print(f"{label:<18} {shown['base']:>15} {shown['this']:>15}  {ratio:.3f}")


def main() -> None:
    from model.settings import home_from_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=home_from_env())
    parser.add_argument("--base", default="HEAD", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=400, help="per round")
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    home = args.home.resolve()
    if args.serve:
        serve(args.serve, home, args.requests)
        return

    worktree = Path(tempfile.mkdtemp(prefix="immoval-paired-")) / "base"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(worktree), args.base],
                   cwd=ROOT, check=True)  # fmt: skip
    sides = []
    try:
        sides = [side(worktree, home, args.requests), side(ROOT, home, args.requests)]
        print(f"base {args.base} against {ROOT}: {args.rounds} rounds of {args.requests} requests")
        compare(*sides, args.rounds)
    finally:
        for process in sides:
            process.stdin.close()
            process.wait()
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)


if __name__ == "__main__":
    main()
