"""Quick-share messages for WhatsApp, as the seed writes them (seed 004 §18).

"WhatsApp Templates (for manual sharing)" and "Share Messages", filled in for
one match (their words are in ``processes/messages.py`` with every other
message). The organiser copies them, or opens them in WhatsApp with a
``wa.me`` link; nothing here is sent by the system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from booking_domain.wording import local_time
from processes.messages import (
    SHARE_ALL,
    SHARE_TIERED,
    SHARE_TIERS_BC,
    WHATSAPP_LAST_CALL,
    WHATSAPP_TIER_OPEN,
    WHATSAPP_WAITLIST_OFFER,
)

#: Stands in for the link when it is not known (it is shown once, when made).
LINK_PLACEHOLDER = "[booking link]"


@dataclass(frozen=True)
class ShareMessage:
    """One message ready to copy, and its WhatsApp share link."""

    key: str
    label: str
    text: str

    @property
    def whatsapp_url(self) -> str:
        return "https://wa.me/?text=" + quote(self.text, safe="")


def share_messages(board: dict[str, Any], link: str | None) -> list[ShareMessage]:
    """The §18 templates for this match: share, tier open, last call, waitlist offer."""
    tz = board["timezone"]
    words = {"date": local_time(board["kickoff_at"], tz), "link": link or LINK_PLACEHOLDER}
    # "We're {n} short" counts as the last-call notice does: confirmed INs only.
    short = max(0, board["capacity"] - board["booked"])
    return [
        ShareMessage("share", "Share message", _share_text(board, words)),
        ShareMessage("tier_open", "Tier open", WHATSAPP_TIER_OPEN.format(**words)),
        ShareMessage("last_call", "Last call", WHATSAPP_LAST_CALL.format(n=short, **words)),
        ShareMessage("waitlist_offer", "Waitlist offer", WHATSAPP_WAITLIST_OFFER.format(**words)),
    ]


def _share_text(board: dict[str, Any], words: dict[str, str]) -> str:
    """All at once, tiered, or tiered with B and C together ("Tiers B+C")."""
    windows = board["tier_windows"]
    if board["invite_mode"] != "tiered" or not windows:
        return SHARE_ALL.format(booked=board["booked"], capacity=board["capacity"], **words)
    tz = board["timezone"]
    b_time = local_time(windows["b_open_at"], tz)
    if windows["b_open_at"] == windows["c_open_at"]:
        return SHARE_TIERS_BC.format(time=b_time, **words)
    return SHARE_TIERED.format(b_time=b_time, c_time=local_time(windows["c_open_at"], tz), **words)
