"""Check-in codes: sealed, stable, tamper-evident, and a QR image that reads back."""

from __future__ import annotations

import io
import string
import xml.etree.ElementTree as ET
from uuid import UUID, uuid4

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from processes.booking_codes import BookingRef, CheckinCodes, InvalidCheckinCode

CODES = CheckinCodes(b"a-club-secret-key")
REF = BookingRef(UUID("0f8c3a52-7a1c-4f35-9b1e-2a2b3c4d5e6f"), uuid4(), 7)


def test_a_code_reads_back_to_its_booking_and_is_stable() -> None:
    code = CODES.code_for(REF)
    assert CODES.read(code) == REF
    assert CODES.code_for(REF) == code  # the portal and a printout agree
    assert CODES.code_for(BookingRef(REF.match_id, REF.player_id, 8)) != code


def test_no_id_can_be_read_from_a_code() -> None:
    code = CODES.code_for(REF)
    assert set(code) <= set(string.ascii_letters + string.digits + "-_.")
    for uuid in (REF.match_id, REF.player_id):
        assert uuid.hex not in code and str(uuid) not in code
    # The same booking under another club's secret is a different code, refused here.
    other = CheckinCodes(b"another-club")
    with pytest.raises(InvalidCheckinCode):
        CODES.read(other.code_for(REF))


@given(st.data())
def test_changing_any_character_is_detected(data: st.DataObject) -> None:
    code = CODES.code_for(REF)
    at = data.draw(st.integers(len("CK1."), len(code) - 1))
    swap = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_"))
    forged = code[:at] + swap + code[at + 1 :]
    if forged != code:
        with pytest.raises(InvalidCheckinCode):
            CODES.read(forged)


@given(st.text(max_size=120))
def test_garbage_is_refused_plainly(text: str) -> None:
    with pytest.raises(InvalidCheckinCode):
        CODES.read(text)


def test_the_png_qr_code_decodes_back_to_the_code() -> None:
    code = CODES.code_for(REF)
    image = Image.open(io.BytesIO(CODES.qr_png(code)))
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == code


def test_the_svg_qr_code_is_an_image_of_the_code() -> None:
    code = CODES.code_for(REF)
    svg = ET.fromstring(CODES.qr_svg(code))  # noqa: S314 (our own output)
    assert svg.tag.endswith("svg")
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "Check-in code"  # type: ignore[union-attr]
    assert svg.find("{http://www.w3.org/2000/svg}path") is not None
