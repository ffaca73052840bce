"""The thin web layer over the booking application (issue: web app)."""
