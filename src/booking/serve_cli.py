"""``booking serve`` (what ``make run`` runs), ``booking admin-token``, ``booking vapid-keys``.

``serve`` runs the web app on the embedded store with Werkzeug's threaded
server — for trying the club on one machine; production runs ``gunicorn
web.wsgi:app`` with ``python:web.gunicorn_conf`` (docs/operations.md). Each
start prints a fresh admin token (label ``serve``) and revokes the one the
last start printed, ending its sessions: an old terminal's token stops working.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

#: The label of the token ``booking serve`` prints; a new start revokes the last one's.
SERVE_LABEL = "serve"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the web app here (make run)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument(
        "--showcase", action="store_true", help="fill an empty store with a club to click through"
    )
    keys = commands.add_parser("vapid-keys", help="make the Web Push key pair (VAPID)")
    keys.add_argument("file", help="where to write the private key (PEM, readable by you only)")
    tokens = commands.add_parser("admin-token", help="make, list or revoke admin tokens")
    actions = tokens.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new token, printed once")
    create.add_argument("label", help="who it is for, e.g. 'treasurer'")
    actions.add_parser("list", help="labels and dates, never the tokens")
    revoke = actions.add_parser("revoke", help="stop a token working")
    revoke.add_argument("label")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    # Standard output as it is now, not as it was when this module was imported.
    out = out or sys.stdout
    if args.command == "serve":
        return serve(args.host, args.port, showcase=args.showcase, out=out)
    if args.command == "vapid-keys":
        return vapid_keys(Path(args.file), out)
    return admin_token(args, out)


def vapid_keys(path: Path, out: TextIO) -> int:
    """Write a new VAPID private key; print the settings that use it and the public key."""
    if path.exists():
        print(f"{path} exists: not overwritten.", file=sys.stderr)
        return 1
    public = make_vapid_key(path)
    print(f"VAPID_PRIVATE_KEY_FILE={path}", file=out)
    print("VAPID_SUBJECT=mailto:<the club's address>", file=out)
    print(f"# public key (browsers subscribe with it; the portal shows it): {public}", file=out)
    return 0


def make_vapid_key(path: Path) -> str:
    """A new P-256 key pair for Web Push: the private key to ``path``; the public key."""
    from py_vapid import Vapid

    from processes.channels.webpush import vapid_public_key

    key = Vapid()
    key.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_pem())
    path.chmod(0o600)
    return vapid_public_key(str(path))


def dev_vapid_key(data_dir: Path) -> None:
    """``make run``: Web Push works out of the box with a key kept in the data folder
    (production sets ``VAPID_PRIVATE_KEY`` or ``VAPID_PRIVATE_KEY_FILE`` itself)."""
    if os.environ.get("VAPID_PRIVATE_KEY") or os.environ.get("VAPID_PRIVATE_KEY_FILE"):
        return
    path = data_dir / "vapid_private.pem"
    if not path.exists():
        make_vapid_key(path)
    os.environ["VAPID_PRIVATE_KEY_FILE"] = str(path)
    os.environ.setdefault("VAPID_SUBJECT", "mailto:bookings@club.example")


def admin_token(args: argparse.Namespace, out: TextIO) -> int:
    from booking.bootstrap import Settings, build_app
    from booking_domain.errors import BookingError
    from processes.admin_tokens import AdminTokens

    app = build_app(Settings.from_env())
    try:
        tokens = AdminTokens(app.recorder.side)  # type: ignore[attr-defined]
        now = app.clock.now()
        if args.action == "create":
            try:
                made = tokens.create(args.label, now)
            except BookingError as refused:
                print(refused.message, file=sys.stderr)
                return 2
            print(made, file=out)
            print("Shown once: keep it somewhere safe.", file=sys.stderr)
        elif args.action == "list":
            for token in tokens.listed():
                state = "revoked" if token.revoked else "live"
                print(f"{token.label}\t{token.created_at:%Y-%m-%d %H:%M}\t{state}", file=out)
        else:
            revoked = tokens.revoke(args.label, now)  # their sessions end with them
            print(f"{revoked} token(s) revoked; their admin sessions ended.", file=out)
            return 0 if revoked else 1
        return 0
    finally:
        app.close()


def serve(host: str, port: int, *, showcase: bool, out: TextIO) -> int:
    from werkzeug.serving import run_simple

    from booking import showcase as club_showcase
    from projections.match_views import match_list
    from web import create_app

    base = f"http://{host}:{port}"
    # Checkouts send the payer back here (Stripe needs absolute addresses).
    os.environ.setdefault("BOOKING_BASE_URL", base)
    dev_vapid_key(Path(os.environ.get("BOOKING_DATA_DIR") or "var"))
    app = create_app()
    club = app.extensions["booking"]
    if showcase and club_showcase.is_empty(club.app):
        club_showcase.fill(club.app)
        print("A club to click through was created (players, and a match in each state).", file=out)
    sign_in = club.admin_tokens.rotate(SERVE_LABEL, club.app.clock.now())
    print(f"\nAdmin sign-in: {base}/admin/sign-in  (token: {sign_in})", file=out)
    for row in club.read(match_list):
        if row["title"] == "Tuesday 5-a-side" and row["state"] == "Draft":
            token = club.app.enable_booking(row["match_id"]).value
            print(f"A booking link:  {base}/m/{row['match_id']}?token={token}", file=out)
            break
    print(f"Player portal:   {base}/portal/login  (pay for a held place)", file=out)
    print(f"Notifications:   {base}/portal/notifications  (turn on browser pushes)", file=out)
    print(
        f"Courts:          {base}/admin/approvals (decide requests), "
        f"{base}/portal/courts (book one)",
        file=out,
    )
    if club.test_clock is not None:
        print(f"Test clock on: dev inbox at {base}/dev/inbox?phone=…", file=out)
    elif club.settings.dev_inbox:
        print(f"Dev inbox (notices, sign-in codes): {base}/dev/inbox", file=out)
    print("Ctrl-C stops.\n", file=out, flush=True)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        club.close()
    return 0
