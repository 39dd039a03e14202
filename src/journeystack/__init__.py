"""journeystack: a self-hosted Salesforce Marketing Cloud Journey Builder Interaction REST API."""

__version__ = "0.1.0"

__all__ = ["__version__"]
