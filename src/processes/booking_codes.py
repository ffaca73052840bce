"""Check-in codes for bookings, and their QR images (seed 002 "QR codes for bookings").

A code names one booking — the slot, the member, and the version of the match
that gave them the place (so a new booking after a cancellation gets a new
code). It is that triple sealed with AES-SIV under a key derived from the
app's secret: nobody can read an id out of it, forge one, or alter one, and the
same booking always gets the same code, so the QR code in the portal and on a
printout agree. Checking a code needs no lookup: opening the seal gives the
booking, and the match decides whether it may be checked in.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from dataclasses import dataclass
from uuid import UUID

import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "CK1."
_PAYLOAD = struct.Struct(">16s16sI")
_SEALED_LENGTH = _PAYLOAD.size + 16  # AES-SIV adds a 16-byte synthetic IV
_CONTEXT = [b"checkin"]


@dataclass(frozen=True)
class BookingRef:
    """One booking: ``placed_seq`` is the match version that gave the place."""

    match_id: UUID
    player_id: UUID
    placed_seq: int


class InvalidCheckinCode(Exception):
    """Not a code this club issued: tampered with, from elsewhere, or garbage."""


class CheckinCodes:
    """Seals bookings into codes, opens codes back into bookings, draws QR codes."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=64, salt=None, info=b"booking checkin code v1"
        ).derive(secret)
        self._siv = AESSIV(key)

    def code_for(self, ref: BookingRef) -> str:
        payload = _PAYLOAD.pack(ref.match_id.bytes, ref.player_id.bytes, ref.placed_seq)
        sealed = self._siv.encrypt(payload, _CONTEXT)
        return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def read(self, code: str) -> BookingRef:
        text = (code or "").strip()
        if not text.startswith(PREFIX):
            raise InvalidCheckinCode()
        body = text[len(PREFIX) :]
        try:
            sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCheckinCode() from None
        if (
            len(sealed) != _SEALED_LENGTH
            or base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii") != body
        ):
            raise InvalidCheckinCode()
        try:
            payload = self._siv.decrypt(sealed, _CONTEXT)
        except InvalidTag:
            raise InvalidCheckinCode() from None
        match_bytes, player_bytes, seq = _PAYLOAD.unpack(payload)
        return BookingRef(UUID(bytes=match_bytes), UUID(bytes=player_bytes), seq)

    @staticmethod
    def qr_svg(code: str) -> str:
        """The code as an SVG QR code, to inline in a page or serve as an image."""
        out = io.BytesIO()
        segno.make_qr(code, error="m").save(
            out, kind="svg", scale=4, border=2, xmldecl=False, title="Check-in code"
        )
        return out.getvalue().decode("utf-8")

    @staticmethod
    def qr_png(code: str) -> bytes:
        out = io.BytesIO()
        segno.make_qr(code, error="m").save(out, kind="png", scale=6, border=2)
        return out.getvalue()
