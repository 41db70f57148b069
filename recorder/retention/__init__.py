"""Retention of recordings: policies per class, legal hold, the audited purge."""
