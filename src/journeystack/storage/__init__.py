"""Persistence: ports the services depend on, and their SQL implementation."""
