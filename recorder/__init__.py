"""Call recording, archive, transcription and search (issue: recorder)."""
