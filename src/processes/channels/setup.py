"""Which outside channels this process has, from the environment (README "Notifications").

Nothing set: no outside channel, and every notice is in the dev inbox (when
it is on) and the log. Each channel is on when its settings are:

- email: ``SMTP_URL`` (``smtp://127.0.0.1:1025``) and ``MAIL_FROM``;
- Web Push: ``VAPID_PRIVATE_KEY`` (or ``VAPID_PRIVATE_KEY_FILE``) and
  ``VAPID_SUBJECT`` (``mailto:`` the club's address);
- native push: ``FCM_SERVICE_ACCOUNT_FILE`` (``FCM_PROJECT_ID``, ``FCM_BASE_URL``);
- SMS: ``SMS_ACCOUNT_SID``, ``SMS_AUTH_TOKEN``, ``SMS_FROM`` (``SMS_BASE_URL``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from processes.channels import Sender


def senders_from_env(env: Mapping[str, str], *, base_url: str = "") -> dict[str, Sender]:
    """The senders the settings turn on, by name."""
    found: dict[str, Sender] = {}
    if env.get("SMTP_URL") and env.get("MAIL_FROM"):
        from processes.channels.email import EmailSender, sender_name

        unsubscribe = f"{base_url}/portal/notifications" if base_url else None
        found["email"] = EmailSender(
            env["SMTP_URL"], sender_name(env["MAIL_FROM"]), unsubscribe_url=unsubscribe
        )
    vapid = vapid_private_key(env)
    if vapid and env.get("VAPID_SUBJECT"):
        from processes.channels.webpush import WebPushSender

        found["webpush"] = WebPushSender(vapid, env["VAPID_SUBJECT"])
    if env.get("FCM_SERVICE_ACCOUNT_FILE"):
        from processes.channels.fcm import FcmSender

        found["fcm"] = FcmSender(
            env["FCM_SERVICE_ACCOUNT_FILE"],
            project_id=env.get("FCM_PROJECT_ID") or None,
            base_url=env.get("FCM_BASE_URL") or "https://fcm.googleapis.com",
        )
    if env.get("SMS_ACCOUNT_SID") and env.get("SMS_AUTH_TOKEN") and env.get("SMS_FROM"):
        from processes.channels.sms import SmsSender

        found["sms"] = SmsSender(
            env["SMS_ACCOUNT_SID"],
            env["SMS_AUTH_TOKEN"],
            env["SMS_FROM"],
            base_url=env.get("SMS_BASE_URL") or "https://api.twilio.com",
        )
    return found


def vapid_private_key(env: Mapping[str, str]) -> str | None:
    """The VAPID private key, given inline or as a file."""
    if env.get("VAPID_PRIVATE_KEY"):
        return env["VAPID_PRIVATE_KEY"]
    if env.get("VAPID_PRIVATE_KEY_FILE"):
        return Path(env["VAPID_PRIVATE_KEY_FILE"]).read_text().strip()
    return None
