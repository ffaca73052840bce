"""The ``booking`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


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
    args = parser.parse_args(argv)
    if args.command == "demo":
        from booking.demo import run_demo

        run_demo(sys.stdout, args.data_dir)
    elif args.command == "worker":
        return run_worker(args.threads)
    return 0


def run_worker(threads: int) -> int:
    """Run until SIGTERM or Ctrl-C; several may run against one database and Redis."""
    import logging
    import signal
    import threading

    from booking.bootstrap import Settings, build_app, build_views
    from processes.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
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
        ).run_until(stopped)
    finally:
        app.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
