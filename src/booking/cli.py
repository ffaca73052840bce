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
    args = parser.parse_args(argv)
    if args.command == "demo":
        from booking.demo import run_demo

        run_demo(sys.stdout, args.data_dir)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
