"""Turning on browser notifications in a real browser, then a notice arriving by Web Push.

Debian's chromium on the live server with a VAPID key set. Ana signs in, opens
*Notifications* and presses **Turn on notifications**: the service worker
registers from ``/sw.js``, the page subscribes and posts the subscription. The
browser's own push service (Google's, for chromium) is out of reach of a test, so
``PushManager.subscribe`` hands back a subscription of a local push service
instead — everything else is the browser's. A booking then opens and Ana's
notice arrives at that push service, signed with the club's VAPID key and
decrypted with the subscription's keys. Turning off forgets the subscription.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from py_vapid import Vapid  # type: ignore[import-untyped]
from werkzeug.serving import make_server

from processes.channels.webpush import vapid_public_key
from processes.contacts import Contacts
from tests.channels.push_service import PushService
from tests.e2e.conftest import LiveServer, web_config
from web import create_app

pytestmark = pytest.mark.browser

ANA = "+442079460101"
CODE = re.compile(r"Your sign-in code is (\d{6})\.")

# PushManager as the browser has it, but subscribing to the local push service.
_STUB = """
(() => {
  const made = %s;
  let current = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    current = {
      endpoint: made.endpoint,
      options: options,
      toJSON() { return made; },
      async unsubscribe() { current = null; return true; },
    };
    return current;
  };
})();
"""


@pytest.fixture
def push() -> Iterator[PushService]:
    with PushService() as service:
        yield service


@pytest.fixture
def vapid(tmp_path: Path) -> Path:
    key = Vapid()
    key.generate_keys()
    path = tmp_path / "vapid.pem"
    path.write_bytes(key.private_pem())
    return path


@pytest.fixture
def push_server(tmp_path: Path, vapid: Path) -> Iterator[LiveServer]:
    config = web_config(
        tmp_path,
        WTF_CSRF_ENABLED=True,
        VAPID_PRIVATE_KEY_FILE=str(vapid),
        VAPID_SUBJECT="mailto:bookings@club.example",
    )
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["booking"].close()


def test_turn_on_notifications_then_a_notice_arrives_by_web_push(
    push_server: LiveServer, browser: Any, push: PushService, vapid: Path
) -> None:
    from playwright.sync_api import expect

    club = push_server.club
    ana = club.app.register_player(name="Ana", phone=ANA).value
    sub_id, subscription = push.subscribe(application_server_key=vapid_public_key(str(vapid)))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.grant_permissions(["notifications"], origin=push_server.url)
    context.add_init_script(_STUB % subscription)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    _sign_in(page, push_server.url, ANA)
    page.goto(f"{push_server.url}/portal/notifications")
    toggle = page.get_by_role("button", name="Turn on notifications")
    expect(toggle).to_be_visible()  # shown once the service worker is ready
    toggle.click()
    expect(page.get_by_role("status").filter(has_text="Notifications are on")).to_be_visible()
    expect(page.get_by_role("button", name="Turn off notifications")).to_be_visible()
    (device,) = Contacts(club.outbox.side).addresses(ana)
    assert device.kind == "webpush" and json.loads(device.address) == {
        "endpoint": json.loads(subscription)["endpoint"],
        "keys": json.loads(subscription)["keys"],
    }

    match = club.app.schedule_match(
        title="Thursday 5s",
        kickoff_at=club.app.clock.now() + timedelta(days=2),
        location="Hackney Marshes",
        capacity=10,
    ).value
    club.app.enable_booking(match)
    (pushed,) = push.received(sub_id)
    assert pushed["payload"]["title"] == "Booking is open"
    assert pushed["payload"]["body"].startswith("Booking open for ")
    assert pushed["claims"]["sub"] == "mailto:bookings@club.example"

    page.get_by_role("button", name="Turn off notifications").click()
    expect(page.get_by_role("status").filter(has_text="Notifications are off")).to_be_visible()
    assert Contacts(club.outbox.side).addresses(ana) == []
    assert problems == []


def _sign_in(page: Any, url: str, number: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/portal/login")
    page.get_by_label("Your mobile number").fill(number)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Sign-in code")).to_be_visible()
    inbox = page.request.get(f"{url}/api/test-clock/inbox", params={"phone": number}).json()
    codes = [m["text"] for m in inbox["data"] if m["kind"] == "login_code"]
    found = CODE.match(codes[-1])
    assert found
    page.get_by_label("Sign-in code").fill(found.group(1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Available Sessions")).to_be_visible()
