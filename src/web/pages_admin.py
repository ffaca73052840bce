"""The organiser's pages: sign-in, matches, the Match Control Centre, players, settings."""

from __future__ import annotations

from flask import Blueprint, render_template

admin_pages = Blueprint("admin_pages", __name__, url_prefix="/admin")


@admin_pages.get("/sign-in")
def sign_in() -> str:
    return render_template("error.html", status=501, message="Not built yet.")
