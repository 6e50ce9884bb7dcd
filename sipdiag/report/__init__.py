"""Output: what the user reads (terminal text, JSON, HTML)."""
