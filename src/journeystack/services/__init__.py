"""Use cases: each opens one unit of work, applies domain rules and commits. No HTTP, no SQL text."""
