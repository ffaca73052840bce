"""``make bench``, paid places: Pay Now to a confirmed place, 50 payers at once.

On PostgreSQL, in a scratch schema removed afterwards: 50 priced matches, each
full with one paid offer open (a player IN on a match of one, another queued,
capacity raised to two: the new place is held for the queued player). Then 50
payers, one thread each, released together by a barrier, each for their own
match: ``start_payment`` → ``PaymentService.pay_now`` (the sandbox's checkout) →
the sandbox's signed "paid" webhook through ``PaymentService.handle_webhook``.

Measured: accept → confirmed throughput (confirmations/s from the barrier to the
last confirmation), the p50/p99 of each payer's accept → confirmed time, and
the p50/p99 of the webhook handler alone (``handle_webhook``); then the same
flow one payer at a time, for what a payment costs without contention. Every
payment must end CONFIRMED with its player IN and no place held; anything
else is a failure. ``rounds`` repeats the burst on fresh matches for more samples.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import timedelta
from typing import Any
from uuid import UUID

from booking.fictional import fictional_phone
from booking_domain.application import BookingApp
from booking_domain.errors import BookingError
from booking_domain.payment import PaymentStatus
from booking_domain.values import Status
from payments import SandboxProvider
from processes.clock import SystemClock
from processes.payment_service import PaymentService
from scratch import pg_schema, postgres_env

PAYERS = 50
PRICE = 500


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``, in the values' unit."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(q / 100 * len(ranked) + 0.5) - 1))]


def set_up(app: BookingApp, round_no: int, payers: int) -> list[tuple[UUID, UUID, str]]:
    """``payers`` full priced matches, each with one paid offer open: (match, offer, phone)."""
    regular = fictional_phone(99)
    if app.find_player_by_phone(regular) is None:
        app.register_player(name="Regular", phone=regular)
    now = app.clock.now()
    open_offers = []
    for i in range(payers):
        number = fictional_phone(100 + round_no * payers + i)
        app.register_player(name=f"Payer {round_no}-{i}", phone=number)
        match_id = app.schedule_match(
            title=f"Paid game {round_no}-{i}",
            kickoff_at=now + timedelta(days=3, minutes=i),
            location="Pitch",
            capacity=1,
            price_minor=PRICE,
        ).value
        token = app.enable_booking(match_id).value
        app.respond(match_id=match_id, token=token, phone=regular, action="IN")
        app.respond(match_id=match_id, token=token, phone=number, action="WAITLIST")
        app.change_capacity(match_id, 2)  # the new place is held for the queued payer
        (offer,) = app.get_waitlist(match_id).holding_offers()
        open_offers.append((match_id, offer.offer_id, number))
    return open_offers


def pay_all(
    app: BookingApp,
    service: PaymentService,
    sandbox: SandboxProvider,
    offers: list[tuple[UUID, UUID, str]],
) -> dict[str, Any]:
    """Every payer at once: Pay Now, checkout, the provider's "paid"; timed."""
    barrier = threading.Barrier(len(offers) + 1)
    results: list[dict[str, Any]] = [{} for _ in offers]

    def payer(i: int, match_id: UUID, offer_id: UUID, number: str) -> None:
        barrier.wait()
        accepted = time.perf_counter()
        try:
            started = app.start_payment(match_id, offer_id, number).value
            service.pay_now(match_id, offer_id, number)
            payment = app.get_payment(started.payment_id)
            body, headers = sandbox.signed_webhook(
                payment.id,
                payment.provider_ref or "",
                "paid",
                payment.amount.minor,
                payment.amount.currency,
            )
            hook = time.perf_counter()
            answer = service.handle_webhook(body, headers)
            done = time.perf_counter()
        except BookingError as refusal:
            results[i] = {"error": refusal.code}
            return
        results[i] = {
            "payment_id": started.payment_id,
            "status": answer.status,
            "accepted": accepted,
            "webhook_s": done - hook,
            "total_s": done - accepted,
            "done": done,
        }

    threads = [
        threading.Thread(target=payer, args=(i, *offer), daemon=True)
        for i, offer in enumerate(offers)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    released = time.perf_counter()
    for thread in threads:
        thread.join()
    failures = [f"payer {i}: {r['error']}" for i, r in enumerate(results) if "error" in r]
    confirmed = [r for r in results if r.get("status") == PaymentStatus.CONFIRMED]
    failures += [
        f"payer {i}: {r['status']}"
        for i, r in enumerate(results)
        if "status" in r and r["status"] != PaymentStatus.CONFIRMED
    ]
    for (match_id, _, _), r in zip(offers, results, strict=True):
        if "payment_id" not in r:
            continue
        match = app.get_match(match_id)
        payment = app.get_payment(r["payment_id"])
        if (match.booked, match.held) != (2, 0) or match.status_of(payment.player_id) != Status.IN:
            failures.append(f"match {match_id}: {match.booked} IN, {match.held} held")
        events = [type(e).__name__ for e in app.events.get(payment.id)]
        if events.count("PaymentConfirmed") != 1:
            failures.append(f"payment {payment.id}: {events}")
    last = max((r["done"] for r in confirmed), default=released)
    return {
        "confirmed": len(confirmed),
        "seconds": last - released,
        "webhook_s": [r["webhook_s"] for r in confirmed],
        "total_s": [r["total_s"] for r in confirmed],
        "failures": failures,
    }


def run(*, quick: bool = False, payers: int = PAYERS) -> dict[str, Any]:
    """What ``run.py --parts paid`` runs: ``payers`` at once, 1 round (quick) or 3."""
    rounds = 1 if quick else 3
    with pg_schema() as schema:
        env = postgres_env(schema)
        app = BookingApp(env, clock=SystemClock())
        sandbox = SandboxProvider("bench-signing-secret", "http://bench.invalid")
        service = PaymentService(app, sandbox, "http://bench.invalid")
        setup_s = 0.0
        confirmed, seconds = 0, 0.0
        webhook_s: list[float] = []
        total_s: list[float] = []
        failures: list[str] = []
        per_round: list[float] = []
        for round_no in range(rounds):
            began = time.perf_counter()
            offers = set_up(app, round_no, payers)
            setup_s += time.perf_counter() - began
            paid = pay_all(app, service, sandbox, offers)
            confirmed += paid["confirmed"]
            seconds += paid["seconds"]
            webhook_s += paid["webhook_s"]
            total_s += paid["total_s"]
            failures += paid["failures"]
            per_round.append(paid["confirmed"] / paid["seconds"] if paid["seconds"] else 0.0)
        # The same flow one payer at a time: what a payment costs without contention.
        alone_webhook_s: list[float] = []
        alone_total_s: list[float] = []
        for offer in set_up(app, rounds, payers):
            paid = pay_all(app, service, sandbox, [offer])
            alone_webhook_s += paid["webhook_s"]
            alone_total_s += paid["total_s"]
            failures += paid["failures"]
        pool = f"pool {env['POSTGRES_POOL_SIZE']}+{env['POSTGRES_MAX_OVERFLOW']}"
        app.close()
    ms = 1000.0
    return {
        "payers": payers,
        "rounds": rounds,
        "pool": pool,
        "setup_s": setup_s,
        "confirmed": confirmed,
        "confirmations_per_s": confirmed / seconds if seconds else 0.0,
        "per_round_per_s": per_round,
        "accept_to_confirmed_p50_ms": percentile(total_s, 50) * ms if total_s else 0.0,
        "accept_to_confirmed_p99_ms": percentile(total_s, 99) * ms if total_s else 0.0,
        "webhook_p50_ms": percentile(webhook_s, 50) * ms if webhook_s else 0.0,
        "webhook_p99_ms": percentile(webhook_s, 99) * ms if webhook_s else 0.0,
        "webhook_mean_ms": statistics.fmean(webhook_s) * ms if webhook_s else 0.0,
        "alone_per_s": len(alone_total_s) / sum(alone_total_s) if alone_total_s else 0.0,
        "alone_accept_to_confirmed_p50_ms": percentile(alone_total_s, 50) * ms,
        "alone_webhook_p50_ms": percentile(alone_webhook_s, 50) * ms,
        "alone_webhook_p99_ms": percentile(alone_webhook_s, 99) * ms,
        "failures": failures,
    }


def report(result: dict[str, Any]) -> None:
    """The part's numbers, in the layout of the others."""
    rounds = ", ".join(f"{r:.0f}" for r in result["per_round_per_s"])
    lines = [
        f"\npaid places (PostgreSQL, {result['payers']} payers at once x {result['rounds']} "
        f"rounds, one process, {result['pool']})",
        f"  set-up                  {result['payers'] * result['rounds']} matches with a paid "
        f"offer open in {result['setup_s']:.1f} s",
        f"  accept -> confirmed     {result['confirmations_per_s']:8.0f} confirmations/s "
        f"({result['confirmed']} confirmed; by round: {rounds}), "
        f"p50 {result['accept_to_confirmed_p50_ms']:.0f} ms, "
        f"p99 {result['accept_to_confirmed_p99_ms']:.0f} ms",
        f"  webhook handler         p50 {result['webhook_p50_ms']:.1f} ms, "
        f"p99 {result['webhook_p99_ms']:.1f} ms, mean {result['webhook_mean_ms']:.1f} ms",
        f"  one payer at a time     {result['alone_per_s']:8.0f} confirmations/s, "
        f"accept -> confirmed p50 {result['alone_accept_to_confirmed_p50_ms']:.0f} ms; "
        f"webhook p50 {result['alone_webhook_p50_ms']:.1f} ms, "
        f"p99 {result['alone_webhook_p99_ms']:.1f} ms",
    ]
    print("\n".join([*lines, *(f"  FAILED: {f}" for f in result["failures"])]))


if __name__ == "__main__":
    report(run(quick=True))
