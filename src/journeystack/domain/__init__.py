"""Pure domain model of journeystack: no web framework, no SQL."""
