"""``make bench``, part seven (``--parts http``): the web app under gunicorn, over HTTP.

What a club sees: JSON through gunicorn's workers (``python:web.gunicorn_conf``),
the envelope, and the optimistic retries of ``booking_domain/transacting.py``
when many answer one match. In a scratch PostgreSQL schema, dropped after, with
``REDIS_URL`` set so no web worker runs a timer thread (timers and notices have
their own parts; a read naming a position catches the read models up itself):

1. Set-up through the admin API: players (fictional numbers), matches, links.
2. The burst, while the read models are caught up: every player presses IN on
   one small match at the same instant (requests prepared, then released by one
   ``asyncio.Event``). All answered, exactly ``capacity`` IN, the rest refused
   (``match_full``) or queued; the dashboard and the raw events agree.
3. RSVP throughput: ``clients`` clients for ``seconds`` s toggling players IN
   and OUT of matches with a place for each, so nearly every answer is a write.

The client is ``httpx`` in this process, one connection per person; its CPU
share is reported. Failures (no answer, a 5xx, a wrong count, a token, phone or
traceback in gunicorn's log) go to ``failures``, and ``run.py`` exits 1. Not
``http.py``: beside ``run.py`` it would shadow the standard library's ``http``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from booking.fictional import fictional_phone
from booking.logs import scrub
from scratch import PG_URL, pg_schema
from web import gunicorn_conf

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
Link = tuple[str, str]  # a match's id and its booking link's token


@dataclass
class Server:
    base: str
    admin: dict[str, str]
    log: Path


@dataclass
class Answer:
    status: int | None  # None: no answer (connection error, timeout)
    code: str  # the envelope's code, the player's status on success, or the exception
    seconds: float
    position: int | None = None  # X-Event-Position: the request wrote


@contextmanager
def gunicorn(schema: str, workers: int, folder: Path) -> Iterator[Server]:
    """gunicorn on ``schema``, answering; stopped (TERM, then KILL) whatever happens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if k not in ("BOOKING_TEST_CLOCK", "GUNICORN_BIND")}
    env |= {
        "DATABASE_URL": f"{PG_URL}?schema={schema}",
        "REDIS_URL": REDIS_URL,
        "BOOKING_REDIS_NAMESPACE": f"bench-{uuid.uuid4().hex[:12]}",
        "RATELIMIT_ENABLED": "0",
        "BOOKING_ADMIN_TOKEN": token,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "BOOKING_DATA_DIR": str(folder),
    }
    log = folder / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "web.wsgi:app"]
    with log.open("wb") as out:  # a session of its own: Ctrl-C reaches us, not it
        process = subprocess.Popen(  # noqa: S603
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}, log)
    try:
        wait_until_answering(server, process)
        yield server
    except BaseException:
        last = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        print("gunicorn's log, last lines:\n" + scrub(last), file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its group: our gunicorn only
                process.wait()


def wait_until_answering(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited before answering")
        try:
            if httpx.get(f"{server.base}/api/admin/settings", headers=server.admin).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 90 s")


# --------------------------------------------------------------------- set-up


def phones(n: int) -> list[str]:
    return [fictional_phone(i) for i in range(n)]


async def admin(client: httpx.AsyncClient, method: str, path: str, body: Any) -> Any:
    response = await client.request(method, f"/api/admin/{path}", json=body)
    if not response.is_success:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.json()['code']}")
    return response.json()["data"]


async def set_up(server: Server, players: int, capacities: Sequence[int]) -> list[Link]:
    """``players`` players; one match per capacity, booking on."""
    kickoff = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0).isoformat()
    gate = asyncio.Semaphore(16)

    async def register(i: int, phone: str) -> None:
        async with gate:
            await admin(client, "POST", "players", {"name": f"Bench {i}", "phone": phone})

    async with httpx.AsyncClient(base_url=server.base, headers=server.admin, timeout=60) as client:
        await asyncio.gather(*(register(i, p) for i, p in enumerate(phones(players))))
        links = []
        for n, places in enumerate(capacities):
            body = {"title": f"Bench {n}", "kickoff_at": kickoff, "location": "Pitch"}
            made = (await admin(client, "POST", "matches", body | {"capacity": places}))["match_id"]
            link = await admin(client, "PATCH", f"matches/{made}/enable-booking", {})
            links.append((made, link["token"]))
    return links


# ---------------------------------------------------------------- measurement


def respond_body(link: Link, phone: str, action: str) -> bytes:
    return json.dumps(
        {"match_id": link[0], "token": link[1], "phone": phone, "action": action}
    ).encode()


async def send(client: httpx.AsyncClient, body: bytes) -> Answer:
    started = time.perf_counter()
    try:
        response = await client.post(
            "/api/booking/respond", content=body, headers={"Content-Type": "application/json"}
        )
    except httpx.HTTPError as error:
        return Answer(None, type(error).__name__, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    try:
        found = response.json()
        code = found["data"]["status"] if found["success"] else found["code"]
    except (ValueError, KeyError, TypeError):
        code = "not the envelope"
    position = response.headers.get("X-Event-Position")
    return Answer(response.status_code, code, seconds, int(position) if position else None)


@asynccontextmanager
async def clients(server: Server, n: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One client and connection per person. One shared httpx pool spends O(n) per
    request on n waiting ones (~12 ms of CPU each at 200): it would measure itself."""
    made = [
        httpx.AsyncClient(base_url=server.base, limits=httpx.Limits(max_connections=1), timeout=120)
        for _ in range(n)
    ]
    try:
        yield made
    finally:
        await asyncio.gather(*(c.aclose() for c in made))


async def burst(server: Server, link: Link, numbers: list[str]) -> dict[str, Any]:
    """Everyone presses IN at once: every answer, and the time until the last."""
    bodies = [respond_body(link, phone, "IN") for phone in numbers]
    release = asyncio.Event()
    async with clients(server, len(bodies)) as each:

        async def press(client: httpx.AsyncClient, body: bytes) -> Answer:
            await release.wait()
            return await send(client, body)

        pressing = [asyncio.create_task(press(c, b)) for c, b in zip(each, bodies, strict=True)]
        await asyncio.sleep(0.1)  # every task is waiting on the event
        started = time.perf_counter()
        release.set()
        answers = await asyncio.gather(*pressing)
        return {"answers": answers, "seconds": time.perf_counter() - started}


async def rsvp(
    server: Server, links: list[Link], numbers: list[str], n: int, seconds: float
) -> dict[str, Any]:
    """``n`` clients toggling IN / OUT for ``seconds`` s; players split among the matches."""
    per = len(numbers) // len(links)
    pairs = [(links[k // per], p) for k, p in enumerate(numbers[: per * len(links)])]
    said: dict[int, str] = {}
    answers: list[Answer] = []
    async with clients(server, n) as each:
        cpu, started = time.process_time(), time.perf_counter()

        async def client_loop(client: httpx.AsyncClient, rng: random.Random) -> None:
            while time.perf_counter() < started + seconds:
                k = rng.randrange(len(pairs))
                said[k] = action = "OUT" if said.get(k) == "IN" else "IN"
                answers.append(await send(client, respond_body(*pairs[k], action)))

        await asyncio.gather(*(client_loop(c, random.Random(i)) for i, c in enumerate(each)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"answers": answers, "seconds": elapsed, "client_cpu": cpu / elapsed}


# ------------------------------------------------------------------- checking


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank, seconds in, ms out."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000 if ordered else 0.0


def tally(answers: Sequence[Answer]) -> dict[str, Any]:
    """Counts by status and code, latencies of the answered."""
    answered = [a.seconds for a in answers if a.status is not None]
    by = Counter(f"{a.status or 'no answer'} {a.code}" for a in answers)
    return {
        "requests": len(answers),
        "by_answer": dict(by.most_common()),
        "p50_ms": percentile(answered, 50),
        "p99_ms": percentile(answered, 99),
        "max_ms": percentile(answered, 100),
        "writes": sum(a.position is not None for a in answers),
        "no_answer": sum(a.status is None for a in answers),
        "server_errors": sum((a.status or 0) >= 500 for a in answers),
        "conflict": sum(a.code == "conflict" for a in answers),
        "unavailable": sum(a.code == "unavailable" for a in answers),
    }


def check_burst(server: Server, match_id: str, places: int, answers: Sequence[Answer]) -> Any:
    """The answers, the dashboard (read after the last write) and the raw events agree."""
    after = max((a.position or 0 for a in answers), default=0)
    with httpx.Client(base_url=server.base, headers=server.admin, timeout=60) as client:
        board = client.get(f"/api/admin/matches/{match_id}", params={"after": after}).json()["data"]
        events = client.get(f"/api/admin/matches/{match_id}/events").json()["data"]
    took = [e["data"]["player_id"] for e in events if e["type"] == "PlayerIn"]
    found = {
        "answered_in": sum(a.status == 200 and a.code == "IN" for a in answers),
        "match_full": sum(a.status == 409 and a.code == "match_full" for a in answers),
        "queued": sum(a.status == 200 and a.code == "WAITLIST" for a in answers),
        "booked": board["booked"],
        "roster_in": sum(p["status"] == "IN" for p in board["players"]),
        "player_in_events": len(took),
        "distinct_in_events": len(set(took)),
    }
    wrong = [
        f"burst: {k} {n}, not {places}"
        for k, n in found.items()
        if k not in ("match_full", "queued") and n != places
    ]
    other = len(answers) - found["answered_in"] - found["match_full"] - found["queued"]
    if other:
        wrong.append(f"burst: {other} answers neither IN, match_full nor queued")
    return found | {"other": other}, wrong


def scan_log(log: Path, secret: Sequence[str]) -> dict[str, Any]:
    """Tokens and phones gunicorn's log shows (expected 0); its tracebacks, the first scrubbed."""
    text = log.read_text(errors="replace")
    at = text.find("Traceback (most recent call last)")
    errors = text.count("Traceback (most recent call last)") + text.count("WORKER TIMEOUT")
    first = scrub(text[max(0, at - 300) : at + 3000]) if at >= 0 else ""
    return {"leaks": sum(s in text for s in secret), "tracebacks": errors, "first": first}


# ----------------------------------------------------------------------- part


def measure(
    *, workers: int, players: int, capacity: int, clients: int, seconds: float, matches: int
) -> dict[str, Any]:
    """Server up, set-up, the burst, RSVP throughput; server stopped, schema dropped."""
    numbers = phones(players)
    extra = os.environ.get("GUNICORN_CMD_ARGS")
    kind = f"{gunicorn_conf.worker_class}, {gunicorn_conf.threads} thread(s) each"
    kind += f", GUNICORN_CMD_ARGS={extra!r}" if extra else ""
    result: dict[str, Any] = {"cores": os.cpu_count(), "load_before": os.getloadavg()[0]}
    result |= {"workers": workers, "gunicorn": kind, "players": players, "capacity": capacity}
    result |= {"clients": clients, "matches": matches}
    with tempfile.TemporaryDirectory() as folder, pg_schema() as schema:
        with gunicorn(schema, workers, Path(folder)) as server:
            print(f"http: setting up {players} players ...", file=sys.stderr)
            started = time.perf_counter()
            places = [capacity] + [players // matches] * matches
            links = asyncio.run(set_up(server, players, places))
            result["setup_s"] = time.perf_counter() - started
            print(f"http: {players} press IN on {capacity} places ...", file=sys.stderr)
            pressed = asyncio.run(burst(server, links[0], numbers))
            found, wrong = check_burst(server, links[0][0], capacity, pressed["answers"])
            result["burst"] = tally(pressed["answers"]) | found | {"seconds": pressed["seconds"]}
            if clients and seconds:
                print(f"http: {clients} clients for {seconds:.0f} s ...", file=sys.stderr)
                ran = asyncio.run(rsvp(server, links[1:], numbers, clients, seconds))
                result["rsvp"] = tally(ran["answers"]) | {"seconds": ran["seconds"]}
                result["rsvp"]["client_cpu"] = ran["client_cpu"]
                result["rsvp"]["requests_per_s"] = len(ran["answers"]) / ran["seconds"]
            # A live poll with the token and a phone in its query: the log must show neither.
            live = f"{server.base}/api/booking/match/{links[0][0]}/live"
            httpx.get(live, params={"token": links[0][1], "phone": numbers[0]})
        logged = scan_log(server.log, [t for _, t in links] + numbers)
    result["log_leaks"], result["log_tracebacks"] = logged["leaks"], logged["tracebacks"]
    for name in ("burst", "rsvp"):
        part = result.get(name, {})
        if part.get("no_answer") or part.get("server_errors"):
            wrong.append(f"{name}: {part['no_answer']} unanswered, {part['server_errors']} 5xx")
    if logged["leaks"]:
        wrong.append(f"gunicorn's log shows {logged['leaks']} tokens or phone numbers")
    if logged["tracebacks"]:
        wrong.append(
            f"gunicorn's log: {logged['tracebacks']} tracebacks; first:\n{logged['first']}"
        )
    result["failures"] = wrong
    return result


def run(*, quick: bool) -> dict[str, Any]:
    """What ``run.py --parts http`` runs: 4 workers, 1,000 players, 200 clients."""
    players, seconds = (300, 5) if quick else (1000, 20)
    return measure(
        workers=4, players=players, capacity=20, clients=200, seconds=seconds, matches=10
    )


def answers(part: dict[str, Any]) -> str:
    return " · ".join(f"{k} {n}" for k, n in part["by_answer"].items())


def report(result: dict[str, Any]) -> None:
    """The part's numbers, in the layout of the others."""
    b, r = result["burst"], result.get("rsvp")
    lines = [
        f"\nhttp (gunicorn, {result['workers']} workers, {result['gunicorn']}; PostgreSQL; "
        f"{result['cores']} cores shared with the client, load {result['load_before']:.1f} before)",
        f"  set-up                  {result['players']} players, {result['matches'] + 1} matches "
        f"through the admin API in {result['setup_s']:.1f} s",
        f"  burst                   {result['players']} press IN on a {result['capacity']}-place "
        f"match at once: all answered in {b['seconds']:.2f} s, p50 {b['p50_ms']:.0f} ms, "
        f"p99 {b['p99_ms']:.0f} ms",
        f"    answers               {answers(b)}",
        f"    booked                {b['booked']} on the dashboard, {b['roster_in']} IN on its "
        f"roster, {b['player_in_events']} PlayerIn events ({b['distinct_in_events']} players)",
    ]
    if r:
        lines += [
            f"  RSVP, {result['clients']} clients    {r['requests_per_s']:8.0f} requests/s over "
            f"{r['seconds']:.0f} s ({r['requests']} requests, {r['writes']} writes), "
            f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms; "
            f"client CPU {r['client_cpu']:.0%} of a core",
            f"    answers               {answers(r)}",
        ]
    both = [p for p in (b, r) if p]
    lines.append(
        f"  conflict / unavailable  {sum(p['conflict'] for p in both)} / "
        f"{sum(p['unavailable'] for p in both)}; gunicorn's log: {result['log_tracebacks']} "
        f"tracebacks, {result['log_leaks']} tokens or phones"
    )
    print("\n".join([*lines, *(f"  FAILED: {f}" for f in result["failures"])]))
