"""The pages players use: the shared booking link (seed 004 §5.2, §18)."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, render_template

public_pages = Blueprint("public_pages", __name__)
dev_pages = Blueprint("dev_pages", __name__)


@public_pages.get("/m/<uuid:match_id>")
def booking_page(match_id: UUID) -> str:
    return render_template("error.html", status=501, message="Not built yet.")
