"""Security building blocks: password hashing; sessions, tokens, CSRF and rate limits join here."""
