"""Composition root and command line: builds the application from settings."""
