"""Centralita shared infrastructure: settings, database, Asterisk connections, event bus, CLI."""
