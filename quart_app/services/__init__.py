"""Use-cases and rules. Functions take the session first, never commit, and never import Quart."""
