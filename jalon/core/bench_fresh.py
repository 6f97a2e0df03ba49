"""Fresh at federation scale: after a change, in a server of several processes.

On the benchmark's federation (`jalon.core.bench`), each figure a ratio in one run (the
median of several runs against the reference's best):

- a cold evaluation from the store (read as columns, evaluate) against the Polars
  reference, and from the snapshot file a new process would take;
- one figure changed through the write path every import takes, then the next overview,
  against a bare ``SUM … GROUP BY indicator, period`` over the values table;
- `jalon serve` with one process per core: the memory of each process after warm-up and
  across 20 changes, and the overview's throughput with 1, 4 and 16 clients.
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from jalon.access.models import Access
from jalon.core.bench import timed
from jalon.plans.models import Plan
from jalon.values import evaluation, snapshots
from jalon.values.valuefile import store_values


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def change_one_figure(plan: Plan, rng: random.Random) -> None:
    """Store one new approved figure at a random school, as any import does."""
    text = (
        f"jalon: 1\nplan: {plan.code}\nsource: bench\nstate: approved\nvalues:\n"
        f"  - {{indicator: i{rng.randrange(100):03d}, entity: b-s{rng.randrange(969):03d},"
        f" period: '2022', value: {rng.uniform(50, 5000):.2f}}}\n"
    )
    store_values(text, "one-figure.yaml", actor_label="bench")


def bare_sum():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indicator_id, period, SUM(number) FROM values_value"
            " GROUP BY indicator_id, period"
        )
        return cursor.fetchall()


def wait_for_snapshots(timeout: float = 60) -> None:
    """Wait until the snapshots being written in the background are on disk."""
    end = time.monotonic() + timeout
    while snapshots._pending and time.monotonic() < end:
        time.sleep(0.01)


def run(plan: Plan, reference_s: float, w) -> dict:
    out = {}
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    w(f"Fresh after a change (machine load (1, 5, 15 min): {load} on {os.cpu_count()} cores):")

    # A cold evaluation: what a process does with no snapshot to start from.
    cold, pe = timed(lambda: evaluation.evaluate_plan(Plan.objects.get(pk=plan.pk)), repeat=5)
    ratio = cold / reference_s
    path = snapshots.save(pe, Plan.objects.get(pk=plan.pk).data_stamp)
    mapped, _ = timed(lambda: snapshots.load(Plan.objects.get(pk=plan.pk), False), repeat=5)
    w(
        f"  cold evaluation from the store (columns read, evaluated)  {cold:6.3f} s"
        f" = {ratio:5.2f} × reference   (goal: within 3 × → {verdict(ratio <= 3)})"
    )
    w(
        f"  the same from its snapshot ({path.stat().st_size / 2**20:.0f} MB, memory-mapped)"
        f"          {mapped:6.3f} s"
    )
    out |= {"cold_store_s": cold, "cold_ratio": ratio, "snapshot_load_s": mapped}

    # One figure changed, then the next overview.
    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    Access.objects.get_or_create(user=user, plan=plan, defaults={"role": "viewer"})
    client = Client()
    client.force_login(user)
    url = f"/plans/{plan.code}/"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    rng = random.Random(5)
    times = []
    for _ in range(5):
        change_one_figure(plan, rng)
        wait_for_snapshots()  # the previous change's, written in the background
        start = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    bare, _ = timed(bare_sum, repeat=5, best=True)
    after = statistics.median(times)
    ratio = after / bare
    w(
        f"  one figure changed → next overview   median {after * 1000:6.1f} ms"
        f" = {ratio:4.2f} × a bare SUM … GROUP BY ({bare * 1000:.0f} ms)"
        f"   (goal: within 0.5 × → {verdict(ratio <= 0.5)}; under 200 ms → {verdict(after < 0.2)})"
    )
    w(f"      runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms")
    out |= {"change_overview_s": after, "bare_sum_s": bare, "change_ratio": ratio}
    wait_for_snapshots()
    out |= server(plan, client.cookies[settings.SESSION_COOKIE_NAME].value, rng, w)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory(pid: int) -> tuple[float, float]:
    """Return a process's resident and proportional set sizes, in MB (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return fields["Rss"], fields["Pss"]


def server(plan: Plan, session: str, rng: random.Random, w, workers: int | None = None) -> dict:
    """Start `jalon serve` on this database; measure its memory and throughput."""
    workers = workers or os.cpu_count() or 1
    port = _free_port()
    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    process = subprocess.Popen(
        [sys.executable, "-m", "jalon.cli", "serve", "--port", str(port), "--no-worker"]
        + ["--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
    path = f"/plans/{plan.code}/"

    def get(conn) -> float:
        start = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "en"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        return time.perf_counter() - start

    try:
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                get(conn)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("jalon serve did not answer")
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        pids = [int(p) for p in children.read_text().split()]

        def warm(rounds: int) -> None:
            # Several connections at once, so that every process serves some.
            threads = [
                threading.Thread(
                    target=lambda: [get(http.client.HTTPConnection("127.0.0.1", port, timeout=120))]
                )
                for _ in range(rounds)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        warm(4 * workers)
        first = [_memory(p) for p in pids]
        for _ in range(20):
            change_one_figure(plan, rng)
            warm(2 * workers)
        time.sleep(1)  # the last snapshots written in the background
        last = [_memory(p) for p in pids]
        top = max(rss for rss, _ in last)
        growth = max(b[0] - a[0] for a, b in zip(first, last, strict=True))
        w(
            f"  jalon serve, {workers} processes: memory per process after warm-up"
            f" {', '.join(f'{r:.0f}' for r, _ in first)} MB resident"
            f" ({', '.join(f'{p:.0f}' for _, p in first)} MB proportional, shared pages split)"
        )
        w(
            f"      after 20 changes {', '.join(f'{r:.0f}' for r, _ in last)} MB"
            f"   (goal: under 400 MB → {verdict(top < 400)};"
            f" flat, within 10 % → {verdict(growth <= 0.1 * max(r for r, _ in first))})"
        )
        out = {"server_rss_mb": top, "server_rss_growth_mb": growth}
        out |= throughput(port, get, w)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return out


def throughput(port: int, get, w, seconds: float = 6.0) -> dict:
    """Time the overview with 1, 4 and 16 clients, each on its own kept-alive connection."""
    rates, highs = {}, {}
    for clients in (1, 4, 16):
        latencies: list[float] = []
        lock = threading.Lock()
        end = time.perf_counter() + seconds

        def client(end=end, lock=lock, latencies=latencies):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            mine = []
            while time.perf_counter() < end:
                mine.append(get(conn))
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rates[clients] = len(latencies) / (time.perf_counter() - start)
        highs[clients] = statistics.quantiles(latencies, n=20, method="inclusive")[-1]
        w(
            f"  overview with {clients:2d} clients: {rates[clients]:6.1f} pages/s,"
            f" p95 {highs[clients] * 1000:6.1f} ms"
        )
    scale = rates[4] / rates[1]
    w(
        f"      4 clients / 1 client = {scale:4.2f} ×   (goal: at least 1.7 × → {verdict(scale >= 1.7)});"
        f" p95 at 16 clients under 200 ms → {verdict(highs[16] < 0.2)}"
    )
    return {"scale_4_over_1": scale, "p95_16_s": highs[16], "rate_1": rates[1]}
