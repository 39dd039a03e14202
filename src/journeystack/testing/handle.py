"""`Journeystack`: one test's handle on a journeystack server: where it is, credentials, a ready
token, typed clients, and the control plane (reset, seed, snapshot, faults, journal, the engine's
clock, the outbox, contact attributes)."""

from __future__ import annotations

import builtins
import datetime as dt
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from journeystack.client import AsyncClient, Client

# What a snapshot document says it is (docs/control-plane.md); anything else seeds journeys.
SNAPSHOT_FORMAT = "journeystack-snapshot"

PREFIX = "/_journeystack"


class ControlPlaneError(AssertionError):
    """The control plane refused a call; the message carries its answer."""


class _Admin:
    """Calls to the control plane with the admin token."""

    def __init__(self, http: httpx.Client, token: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
             content: bytes | None = None) -> Any:  # fmt: skip
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.request(
            method, PREFIX + path, params=query, json=json, content=content, headers=self._headers
        )
        if response.status_code >= 300:
            raise ControlPlaneError(
                f"{method} {PREFIX}{path} answered {response.status_code}: {response.text}"
            )
        return response.json() if response.content else None


class Faults:
    """Fault rules: make SFMC calls fail (429, 500, 503, ...) or slow down (docs/control-plane.md)."""

    def __init__(self, admin: _Admin) -> None:
        self._admin = admin

    def add(self, **rule: Any) -> dict[str, Any]:
        """Add a rule: path=, method=, mid=, status=, retryAfter=, latencyMs=, times=, nth=, ...;
        returns it with its id."""
        added: dict[str, Any] = self._admin.call("POST", "/faults", json=rule)
        return added

    def list(self) -> builtins.list[dict[str, Any]]:
        rules: builtins.list[dict[str, Any]] = self._admin.call("GET", "/faults")["rules"]
        return rules

    def clear(self, rule_id: str | None = None) -> int:
        path = "/faults" if rule_id is None else f"/faults/{urllib.parse.quote(rule_id, safe='')}"
        deleted: int = self._admin.call("DELETE", path)["deleted"]
        return deleted


class Journal:
    """The request journal: the last SFMC calls the server answered, newest first."""

    def __init__(self, admin: _Admin) -> None:
        self._admin = admin

    def entries(
        self, *, path: str | None = None, status: int | str | None = None, mid: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        query = {"path": path, "status": status, "mid": mid, "limit": limit}
        found: list[dict[str, Any]] = self._admin.call("GET", "/journal", params=query)["entries"]
        return found

    def clear(self) -> None:
        self._admin.call("DELETE", "/journal")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries(limit=100_000))

    def __len__(self) -> int:
        return len(self.entries(limit=100_000))


class Clock:
    """The engine's clock, on which journeys run: real time until frozen or advanced."""

    def __init__(self, admin: _Admin) -> None:
        self._admin = admin

    def now(self) -> dt.datetime:
        """The engine's current time (UTC)."""
        return _instant(self._admin.call("GET", "/clock"))

    def freeze(self) -> dt.datetime:
        """Stop the clock where it is; it then moves only when advanced."""
        return _instant(self._admin.call("POST", "/clock/freeze"))

    def advance(
        self, by: str | dt.timedelta | None = None, *, to: str | dt.datetime | None = None
    ) -> dict[str, Any]:
        """Move the clock forward by a duration ("3d", "1d12h", "90m", or a timedelta) or to an
        instant, working everything that falls due on the way; returns {from, to, processed}."""
        if (by is None) == (to is None):
            raise ValueError("advance() takes a duration or to=, not both and not neither")
        if isinstance(by, dt.timedelta):
            by = f"{int(by.total_seconds() * 1000)}ms"
        if isinstance(to, dt.datetime):
            to = (to if to.tzinfo else to.replace(tzinfo=dt.UTC)).isoformat()
        body = {"by": by} if by is not None else {"to": to}
        answer: dict[str, Any] = self._admin.call("POST", "/clock/advance", json=body)
        return answer

    def run_until_idle(self) -> dict[str, Any]:
        """Work everything due now (fired events included); returns {clock, processed}."""
        answer: dict[str, Any] = self._admin.call("POST", "/clock/run-until-idle")
        return answer

    def real(self) -> dt.datetime:
        """Follow real time again."""
        return _instant(self._admin.call("POST", "/clock/real"))


def _instant(clock: Mapping[str, Any]) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock["nowMs"] / 1000, tz=dt.UTC)


class Outbox:
    """The messages journeys sent (email, SMS, push), oldest first."""

    def __init__(self, admin: _Admin, mid: int) -> None:
        self._admin = admin
        self._mid = mid

    def messages(
        self, *, contact_key: str | None = None, journey_key: str | None = None,
        activity_key: str | None = None, mid: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """The messages of the test's business unit (or `mid`) that match every filter given."""
        query = {"mid": mid or self._mid, "contactKey": contact_key, "journeyKey": journey_key,
                 "activityKey": activity_key, "limit": 10_000}  # fmt: skip
        found: list[dict[str, Any]] = self._admin.call("GET", "/outbox", params=query)["items"]
        return found

    def clear(self) -> int:
        deleted: int = self._admin.call("DELETE", "/outbox", params={"mid": self._mid})["deleted"]
        return deleted

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.messages())

    def __len__(self) -> int:
        return len(self.messages())


class Contacts:
    """Contact attributes ({attribute set: {field: value}}), which journeys read."""

    def __init__(self, admin: _Admin, mid: int) -> None:
        self._admin = admin
        self._mid = mid

    def get(self, contact_key: str, *, mid: int | None = None) -> dict[str, Any]:
        answer = self._admin.call("GET", self._path(contact_key), params={"mid": mid or self._mid})
        attributes: dict[str, Any] = answer["attributes"]
        return attributes

    def set(self, contact_key: str, attributes: Mapping[str, Any], *, mid: int | None = None) -> None:
        """Replace every attribute of the contact."""
        self._admin.call("PUT", self._path(contact_key), params={"mid": mid or self._mid}, json=attributes)

    @staticmethod
    def _path(contact_key: str) -> str:
        return f"/contacts/{urllib.parse.quote(contact_key, safe='')}/attributes"


class Journeystack:
    """One test's view of a journeystack server (the `journeystack` fixture).

    `url`, `client_id`, `client_secret` and `mid` are what an SFMC client under test needs
    (`auth_url` = `rest_url` = `url`); `token` is a ready access token for `mid`."""

    def __init__(
        self, url: str, admin_token: str, *, client_id: str, client_secret: str,
        mids: tuple[int, ...], mid: int | None = None, strict_scopes: bool = False,
    ) -> None:  # fmt: skip
        self.url = url
        self.admin_token = admin_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.mids = mids
        self.mid = mid if mid is not None else mids[0]
        self.other_mid = next((m for m in mids if m != self.mid), None)
        self.strict_scopes = strict_scopes
        self.http = httpx.Client(base_url=url, timeout=60)
        self._admin = _Admin(self.http, admin_token)
        self._tokens: dict[int, str] = {}
        self._clients: list[Client] = []
        self.faults = Faults(self._admin)
        self.journal = Journal(self._admin)
        self.clock = Clock(self._admin)
        self.outbox = Outbox(self._admin, self.mid)
        self.contacts = Contacts(self._admin, self.mid)

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.http.close()

    # --- SFMC side ----------------------------------------------------------------------------------

    def token_for(self, mid: int) -> str:
        """An access token for a business unit (fetched once; tokens survive resets)."""
        if mid not in self._tokens:
            body = {"grant_type": "client_credentials", "client_id": self.client_id,
                    "client_secret": self.client_secret, "account_id": mid}  # fmt: skip
            response = self.http.post("/v2/token", json=body)
            if response.status_code != 200:
                raise ControlPlaneError(f"POST /v2/token answered {response.status_code}: {response.text}")
            self._tokens[mid] = response.json()["access_token"]
        return self._tokens[mid]

    @property
    def token(self) -> str:
        """A ready access token for `mid`."""
        return self.token_for(self.mid)

    @property
    def headers(self) -> dict[str, str]:
        """`Authorization: Bearer <token>` for `mid`."""
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, *, mid: int | None = None, **options: Any) -> Client:
        """A typed `journeystack.client.Client` for `mid` (default: the test's), closed after the test."""
        client = Client(self.url, self.client_id, self.client_secret, account_id=mid or self.mid, **options)
        self._clients.append(client)
        return client

    def async_client(self, *, mid: int | None = None, **options: Any) -> AsyncClient:
        """A typed `AsyncClient` for `mid`; close it yourself (`async with`)."""
        return AsyncClient(
            self.url, self.client_id, self.client_secret, account_id=mid or self.mid, **options
        )

    # --- control plane ------------------------------------------------------------------------------

    def reset(self, *, mid: int | None = None, tokens: bool = False) -> dict[str, Any]:
        """Empty the store (or one business unit): journeys, events, history, outbox, clock."""
        params = {"mid": mid, "tokens": "true" if tokens else None}
        if tokens:
            self._tokens.clear()
        answer: dict[str, Any] = self._admin.call("POST", "/reset", params=params)
        return answer

    def clean(self) -> None:
        """What the fixture does before every test: reset, no fault rule, an empty journal."""
        self.reset()
        self.faults.clear()
        self.journal.clear()

    def snapshot(self, *, mid: int | None = None) -> dict[str, Any]:
        """The state (or one business unit's) as a snapshot document."""
        document: dict[str, Any] = self._admin.call("GET", "/snapshot", params={"mid": mid})
        return document

    def seed(
        self, source: Mapping[str, Any] | list[Any] | str | Path, *, create_missing_folders: bool = False
    ) -> Any:
        """Load state: a snapshot (document or file), journeys as SFMC answers them (a journey, a list
        of them, a list answer, or a file holding one of these: a recording), or a directory of
        journeys as files (`journeystack export`'s layout or mcdev's `retrieve/`), into `mid`.

        A snapshot replaces the state it covers; journeys are added. `create_missing_folders` makes a
        journey folder for every categoryId that names none, so an export or recording from a real
        tenant loads as it is (a directory's folders are made from their paths anyway). Raises
        ControlPlaneError when the server refuses, AssertionError when an import has problems."""
        missing = {"createMissingFolders": "true"} if create_missing_folders else {}
        if isinstance(source, str | Path):
            path = Path(source)
            if path.is_dir():
                from journeystack.files.transfer import import_tree

                report = import_tree(self.client(), path)
                if report.problems:
                    raise AssertionError("importing " + str(path) + " failed:\n" + "\n".join(report.problems))
                return report
            source = json.loads(path.read_bytes())
        if isinstance(source, Mapping) and source.get("format") == SNAPSHOT_FORMAT:
            return self._admin.call("POST", "/snapshot", params=missing, json=dict(source))
        return self._admin.call("POST", "/journeys", params={"mid": self.mid, **missing}, json=source)

    def info(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._admin.call("GET", "/info")
        return answer

    def __repr__(self) -> str:
        return f"Journeystack(url={self.url!r}, mid={self.mid}, strict_scopes={self.strict_scopes})"
