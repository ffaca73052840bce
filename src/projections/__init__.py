"""Read models: projections of the booking events (issue: read models)."""
