"""Dependencies point inward: domain imports no framework; services import no HTTP and no SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "journeystack"
FORBIDDEN = {
    "domain": ("sqlalchemy", "starlette", "uvicorn", "httpx", "pydantic", "alembic", "journeystack.api",
               "journeystack.storage", "journeystack.services"),
    "services": ("sqlalchemy", "starlette", "uvicorn", "httpx", "alembic", "journeystack.api",
                 "journeystack.storage.sql"),
    # The engine thread drives the services; it knows no HTTP and no SQL.
    "engine": ("sqlalchemy", "starlette", "uvicorn", "httpx", "alembic", "journeystack.api",
               "journeystack.storage"),
    # The SOAP surface parses and renders; the work is the services'.
    "soap": ("sqlalchemy", "starlette", "uvicorn", "httpx", "alembic", "journeystack.api",
             "journeystack.storage"),
    # The web console is an outer layer like api/: it calls services and renders; it never reaches
    # the database itself (its queries live in storage/sql/console_repository.py).
    "console": ("sqlalchemy", "alembic", "uvicorn", "httpx", "journeystack.storage", "journeystack.engine"),
    # The client speaks HTTP to SFMC or journeystack alike: nothing of the server comes with it.
    "client": ("sqlalchemy", "starlette", "uvicorn", "alembic", "journeystack.api", "journeystack.domain",
               "journeystack.services", "journeystack.storage", "journeystack.engine", "journeystack.soap",
               "journeystack.files", "journeystack.testing", "journeystack.config"),
}  # fmt: skip


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_outward(layer: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module in _imports(path):
            if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert offenders == []
