"""What notices and share messages say: the seed's copy (seed 004 §18), one place.

Where the seed has words they are used as written; where it names a notice
without words (spot filled, cancellation, demotion, expiry) the wording
follows its tone and its error messages.
"""

from __future__ import annotations

from datetime import timedelta

from booking_domain.wording import local_time

TIER_OPEN = "Booking open for {date}. Tier {tier} can now book. Tap to RSVP: ✅ IN | ❌ OUT"
TIERS_OPEN = "Booking open for {date}. Tiers {tiers} can now book. Tap to RSVP: ✅ IN | ❌ OUT"
ALL_OPEN = "Booking open for {date}. Tap to RSVP: ✅ IN | ❌ OUT"
WAITLIST_OFFER = "Spot open for {date}! First to claim gets it. Expires in {countdown}."
FIRST_TAP = "Spot just opened for {date}! First to claim gets it — tap Claim now."
SPOT_FILLED = (
    "Spot filled for {date} — someone claimed it first. You keep your place on the waitlist."
)
OFFER_EXPIRED = "Your offer for {date} has expired — check the waitlist for your current place."
LAST_CALL = "We're {n} short for {date}. Can you make it? ✅ IN | ❌ OUT"
CANCELLATION = "{title} on {date} has been cancelled."
CANCELLATION_REASON = "{title} on {date} has been cancelled: {reason}"
DEMOTION = (
    "The places for {date} were cut and you've moved to the head of the waitlist. "
    "You'll get your place back first if one opens."
)

#: A digest: the notices that waited for it, one per line after this.
DIGEST = "{n} updates about your match:"

#: One line for an email's subject or a push notification's title, per kind.
SUBJECTS = {
    "tier_open": "Booking is open",
    "waitlist_offer": "A place is free — claim it",
    "dropout": "A place just came free",
    "spot_filled": "That place has gone",
    "last_call": "Last call — can you play?",
    "cancellation": "Match cancelled",
    "demotion": "You're first on the waitlist",
    "offer_expired": "Your offer has expired",
    "payment_offer": "A place is held for you — confirm and pay",
    "booking_confirmed": "You're booked",
    "payment_refund": "Your payment is being refunded",
    "digest": "Updates about your match",
    "login_code": "Your sign-in code",
}


def subject(kind: str) -> str:
    """The subject line of a notice of this kind (court notices and others: the club's)."""
    return SUBJECTS.get(kind, "News from your club's bookings")


# Paid places (seed 000): never a payment link in a notice — it sends people to
# log in, so a forwarded message cannot be used to pay for someone else's place.
PAYMENT_OFFER = (
    "Great news! A spot opened in {session}. Log in to your account to confirm and pay by "
    "{expires} or the offer will be given to the next person."
)
PAYMENT_OFFER_EXPIRED = (
    "Your offer for {session} expired at {expires} without payment, so the place has been "
    "offered to the next person. You keep your place on the waitlist."
)
BOOKING_CONFIRMED = "Payment received — you're booked for {session}. See you there!"
REFUND_PLACE_GONE = (
    "Your payment for {session} arrived after your offer had ended and the place had gone, "
    "so it is being refunded in full."
)
REFUND_ALREADY_BOOKED = (
    "You're already booked for {session}, so this second payment is being refunded in full."
)
REFUND_BOOKING_CLOSED = (
    "Booking for {session} had closed when your payment arrived, so it is being refunded in full."
)

# Court slots (seed 002). Like seed 000's, no link and never the check-in code:
# the code is a credential, shown only in the signed-in portal.
REQUEST_RECEIVED = "We've got your request for {slots}. It's pending until the club approves it."
REQUEST_APPROVED = (
    "Your booking for {slots} is approved. Your check-in QR code is under My requests "
    "in your account — show it at the desk."
)
REQUEST_REJECTED = "Sorry — your request for {slots} wasn't approved."
REQUEST_REJECTED_REASON = "Sorry — your request for {slots} wasn't approved: {reason}"
REQUEST_EXPIRED = "Your request for {slots} has lapsed: the club didn't decide before it started."
REQUEST_MOVED = "The club moved your request to {slot}. It's still pending approval."
REQUEST_CONVERTED = (
    "Good news! {slot} has freed up and is now held for you, pending approval. "
    "Confirm and pay {price} at the desk with your check-in QR code — it's under "
    "My requests in your account."
)
WAITLIST_CANCELLED_BOOKED = (
    "The slot you were waiting for, {slot}, has been booked by someone else. "
    "Your waitlist request has been cancelled."
)
WAITLIST_CANCELLED = "Your waitlist request for {slot} has been cancelled: {reason}."
SLOT_CHANGED = (
    "The slot you're waiting for has changed to {slot}. You keep your place in the queue."
)


def slots_text(first: str, more: int) -> str:
    """One slot, or the first and how many more."""
    if not more:
        return first
    return f"{first} and {more} more slot{'s' if more > 1 else ''}"


def price(minor: int, currency: str) -> str:
    if not minor:
        return "nothing"
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency, currency + " ")
    return f"{symbol}{minor / 100:.2f}"


def session(title: str, kickoff_at: object, timezone: str) -> str:
    """The seed's {session}: the match's title and when it is."""
    return f"{title} ({when(kickoff_at, timezone)})"


# WhatsApp templates and share messages the organiser copies (seed 004 §18,
# "for manual sharing"): never sent by the system.
WHATSAPP_TIER_OPEN = "⚽ Booking now open for {date}! Tap to confirm: {link}"
WHATSAPP_LAST_CALL = "⚡ We're {n} short for {date}. Can you make it? {link}"
WHATSAPP_WAITLIST_OFFER = "🎯 Spot just opened for {date}! First to claim: {link}"
SHARE_ALL = "Book now for {date}. {booked}/{capacity} confirmed → {link}"
SHARE_TIERED = (
    "Book now for {date}. Tier A now, Tier B from {b_time}, Tier C from {c_time} → {link}"
)
SHARE_TIERS_BC = "Book now for {date}. Tier A now, Tiers B+C from {time} → {link}"


def when(kickoff_at: object, timezone: str) -> str:
    """The {date} of the copy: e.g. ``Tue 24 Nov 19:00`` in the match's time zone."""
    return local_time(kickoff_at, timezone)  # type: ignore[arg-type]


def countdown(left: timedelta) -> str:
    """``4h``, ``1h 30min``, ``25 min`` — how the seed writes a countdown."""
    minutes = max(0, round(left.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h {rest}min"
    if hours:
        return f"{hours}h"
    return f"{rest} min"


def tiers_open(tiers: list[str], date: str) -> str:
    if len(tiers) == 3:
        return ALL_OPEN.format(date=date)
    if len(tiers) == 1:
        return TIER_OPEN.format(date=date, tier=tiers[0])
    return TIERS_OPEN.format(date=date, tiers="+".join(tiers))
