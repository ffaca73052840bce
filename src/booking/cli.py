"""The ``booking`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from uuid import UUID


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="booking", description="Waitlist and booking engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="tell seed 004's flows A and B, event by event")
    demo.add_argument(
        "--data-dir", type=Path, help="keep the demo's events here (default: scratch)"
    )
    worker = commands.add_parser(
        "worker", help="run timers, process managers and notice delivery (needs REDIS_URL)"
    )
    worker.add_argument("--threads", type=int, default=4, help="delivery threads (default 4)")
    events = commands.add_parser("events", help="a match's event streams, in order")
    events.add_argument("match_id", type=UUID)
    events.add_argument("--json", action="store_true", help="JSON lines instead of text")
    export = commands.add_parser("export", help="every event of the store as JSON lines")
    export.add_argument("--output", type=Path, help="write here instead of standard output")
    projections = commands.add_parser("projections", help="the read models")
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser("rebuild", help="replace every read model with a replay of the events")
    actions.add_parser(
        "status", help="how far each follower of the log is, and any stopped at an event"
    )
    for action, text in (
        ("retry", "let a follower stopped at an event try it again (after a fix)"),
        ("skip", "pass over the event a follower is stopped at (kept on record)"),
    ):
        actions.add_parser(action, help=text).add_argument(
            "name", help="the follower, as `booking projections status` names it"
        )
    commands.add_parser(
        "audit", help="rebuild every read model into scratch and compare (exit 1 if different)"
    )
    as_of = commands.add_parser("as-of", help="a match's dashboard as it stood at a moment")
    as_of.add_argument("match_id", type=UUID)
    as_of.add_argument("time", type=_moment, help="ISO 8601, e.g. 2026-11-24T19:03:00+00:00")
    from booking import serve_cli

    serve_cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from booking.demo import run_demo

        run_demo(sys.stdout, args.data_dir)
    elif args.command == "worker":
        return run_worker(args.threads)
    elif args.command in ("serve", "admin-token", "vapid-keys"):
        return serve_cli.run(args)
    else:
        return run_audit_command(args)
    return 0


def _moment(text: str) -> datetime:
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with its offset, e.g. +00:00")
    return at


def run_audit_command(args: argparse.Namespace) -> int:
    """The auditor's commands (``booking/audit_cli.py``) on the store the settings choose."""
    from booking import audit_cli
    from booking.bootstrap import Settings, build_app

    settings = Settings.from_env()
    if args.command == "projections":
        if args.action == "rebuild":
            return audit_cli.rebuild(settings, sys.stderr)
        return audit_cli.followers(settings, args.action, getattr(args, "name", None), sys.stdout)
    if args.command == "audit":
        return audit_cli.run_audit(settings, sys.stdout, sys.stderr)
    app = build_app(settings)
    try:
        if args.command == "events":
            return audit_cli.print_events(app, args.match_id, sys.stdout, as_json=args.json)
        if args.command == "as-of":
            return audit_cli.as_of(app, args.match_id, args.time, sys.stdout)
        if args.output:
            with args.output.open("w", encoding="utf-8") as out:
                count = audit_cli.export(app, out)
        else:
            count = audit_cli.export(app, sys.stdout)
        print(f"{count} events exported.", file=sys.stderr)
        return 0
    finally:
        app.close()


def run_worker(threads: int) -> int:
    """Run until SIGTERM or Ctrl-C; several may run against one database and Redis."""
    import logging
    import signal
    import threading

    from booking.bootstrap import Settings, build_app, build_payments, build_views
    from booking.logs import install_filter
    from processes.channels.limits import rate_limits
    from processes.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    install_filter()  # no phone, email or token in the worker's log either
    settings = Settings.from_env()
    if not settings.redis_url:
        print("booking worker needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)", file=sys.stderr)
        return 2
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    app = build_app(settings)
    try:
        Worker(
            app,
            redis_url=settings.redis_url,
            namespace=settings.redis_namespace,
            delivery_threads=threads,
            resend_after_seconds=settings.resend_after_seconds,
            views=build_views(settings, app),
            payments=build_payments(settings, app),
            senders=settings.senders(),
            base_url=settings.base_url,
            rate_limits=rate_limits(dict(settings.channel_env)),
            delivery_lease_seconds=settings.delivery_lease_seconds,
        ).run_until(stopped)
    finally:
        app.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
