"""`journeystack admin clock | outbox | contacts`: the engine's side of the control plane, over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.control_plane import ADMIN_TOKEN, ControlCase, run_cli
from tests.runtime_support import (
    DAY,
    T0,
    T0_MS,
    email,
    event_definition,
    fire,
    fire_many,
    journey,
    published,
    wait,
)

KEY = "APIEvent-cli"
ZERO = {"events": 0, "entries": 0, "steps": 0, "sweeps": 0, "exits": 0, "pauses": 0, "calls": 0}


def _json(text: str) -> Any:
    return json.loads(text)


def _ok(cp: ControlCase, *args: str) -> Any:
    status, out, err = cp.cli(*args)
    assert status == 0, err
    return _json(out)


@pytest.fixture(autouse=True)
def _no_admin_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNEYSTACK_ADMIN_TOKEN", raising=False)


def _two_journeys(cp: ControlCase) -> None:
    """alpha mails after a day; beta only waits. The clock starts frozen at T0."""
    event_definition(cp.api, KEY)
    _ok(cp, "clock", "freeze")
    _ok(cp, "clock", "advance", "--to", T0)
    published(
        cp.api, journey("alpha", KEY, [wait("W-1", 1, "DAYS", "EMAIL-1"), email("EMAIL-1", "Hi", None)])
    )
    published(cp.api, journey("beta", KEY, [wait("W-1", 5, "DAYS", None)]))


# --- clock ------------------------------------------------------------------------------------------


def test_clock_show_freeze_advance_and_real(cp: ControlCase) -> None:
    shown = _ok(cp, "clock")  # no command: show
    assert set(shown) == {"now", "nowMs", "frozen"} and shown["frozen"] is False
    assert _ok(cp, "clock", "show")["frozen"] is False
    frozen = _ok(cp, "clock", "freeze")
    assert frozen["frozen"] is True and _ok(cp, "clock")["nowMs"] == frozen["nowMs"]
    moved = _ok(cp, "clock", "advance", "--by", "1d12h")
    assert moved["to"]["nowMs"] - moved["from"]["nowMs"] == DAY * 3 // 2 and moved["processed"] == ZERO
    moved = _ok(cp, "clock", "advance", "--to", T0)
    assert moved["to"] == {"now": "2030-01-01T00:00:00Z", "nowMs": T0_MS, "frozen": True}
    assert _ok(cp, "clock", "show") == moved["to"]
    real = _ok(cp, "clock", "real")
    assert real["frozen"] is False and real["nowMs"] < T0_MS


def test_clock_options_may_come_before_the_command(cp: ControlCase) -> None:
    _ok(cp, "clock", "advance", "--to", T0)
    status, out, err = run_cli(
        "admin", "clock", "--url", cp.base_url, "--admin-token", ADMIN_TOKEN, "advance", "--by", "1d"
    )
    assert status == 0, err
    assert _json(out)["to"]["nowMs"] == T0_MS + DAY


def test_run_until_idle_works_fired_events(cp: ControlCase) -> None:
    event_definition(cp.api, KEY)
    published(cp.api, journey("mail", KEY, [email("EMAIL-1", "Welcome", None)]))
    _ok(cp, "clock", "advance", "--to", T0)
    fire(cp.api, "ann", KEY, Email="ann@example.com")
    idle = _ok(cp, "clock", "run-until-idle")
    assert idle["clock"] == {"now": "2030-01-01T00:00:00Z", "nowMs": T0_MS, "frozen": True}
    assert set(idle["processed"]) == set(ZERO)  # the engine thread may have done the work first
    [sent] = _ok(cp, "outbox")["items"]
    assert (sent["contactKey"], sent["address"], sent["subject"]) == ("ann", "ann@example.com", "Welcome")


@pytest.mark.parametrize(
    ("moment", "errorcode", "message"),
    [
        (["--by", "fortnight"], 10005,
         "by must be a duration such as 15d, 1d12h, 90m or 30s (units ms, s, m, h, d, w)."),
        (["--by", "99999d"], 10005, "by must be at most 3660 days."),
        (["--to", "soon"], 10005, "to must be an ISO 8601 date such as 2024-05-04T09:30:00Z."),
        (["--to", "2029-01-01T00:00:00Z"], 10005,
         "to must not be earlier than the engine's current time (the clock only moves forward)."),
    ],
)  # fmt: skip
def test_a_bad_advance_is_refused_by_the_server_and_the_clock_stays(
    cp: ControlCase, moment: list[str], errorcode: int, message: str
) -> None:
    before = _ok(cp, "clock", "advance", "--to", T0)["to"]
    status, out, err = cp.cli("clock", "advance", *moment)
    assert (status, out) == (1, "")
    refusal = _json(err)
    assert (refusal["errorcode"], refusal["message"]) == (errorcode, message)
    assert _ok(cp, "clock") == before


def test_advance_needs_exactly_one_of_by_and_to() -> None:
    status, _, err = run_cli("admin", "clock", "advance")
    assert status == 2 and "one of the arguments --by --to is required" in err
    status, _, err = run_cli("admin", "clock", "advance", "--by", "1d", "--to", T0)
    assert status == 2 and "not allowed with argument" in err


def test_the_engine_commands_need_the_admin_token(cp: ControlCase) -> None:
    for args in (["clock"], ["outbox"], ["contacts", "get", "c1"]):
        status, out, err = cp.cli(*args, admin_token=None)
        assert (status, out) == (1, "") and _json(err)["errorcode"] == 90001


# --- outbox -----------------------------------------------------------------------------------------


def test_outbox_show_filters_and_clear(cp: ControlCase) -> None:
    _two_journeys(cp)
    fire_many(cp.api, KEY, [("c1", {"Email": "c1@x.io"}), ("c2", {"Email": "c2@x.io"})])
    _ok(cp, "clock", "advance", "--by", "1d")
    everything = _ok(cp, "outbox")
    assert everything == _ok(cp, "outbox", "show")
    assert everything["count"] == 2 and sorted(m["contactKey"] for m in everything["items"]) == ["c1", "c2"]
    assert {m["journeyKey"] for m in everything["items"]} == {"alpha"}
    [c2] = _ok(cp, "outbox", "--contact-key", "c2")["items"]
    assert c2["address"] == "c2@x.io" and c2["activityKey"] == "EMAIL-1"
    assert _ok(cp, "outbox", "show", "--contact-key", "c2", "--mid", str(cp.api.mid))["items"] == [c2]
    assert _ok(cp, "outbox", "show", "--journey-key", "beta") == {"count": 0, "items": []}
    assert _ok(cp, "outbox", "--mid", str(cp.other.mid)) == {"count": 0, "items": []}
    page = _ok(cp, "outbox", "show", "--activity-key", "EMAIL-1", "--limit", "1", "--offset", "1")
    assert page["count"] == 2 and page["items"] == everything["items"][1:]

    status, out, err = cp.cli("outbox", "--contact-key", "c1", "clear")
    assert (status, out) == (2, "")
    assert "outbox clear takes --mid only, not --contact-key" in err
    assert _ok(cp, "outbox")["count"] == 2  # nothing was deleted
    assert _ok(cp, "outbox", "clear", "--mid", str(cp.other.mid)) == {"deleted": 0}
    assert _ok(cp, "outbox", "clear") == {"deleted": 2}
    assert _ok(cp, "outbox") == {"count": 0, "items": []}


def test_a_bad_outbox_query_is_refused_by_the_server(cp: ControlCase) -> None:
    status, out, err = cp.cli("outbox", "--limit", "0")
    assert (status, out) == (1, "")
    refusal = _json(err)
    assert refusal["errorcode"] == 400 and refusal["validationErrors"] == [
        {"message": "limit must be a whole number between 1 and 10000.", "errorcode": 10005, "path": "limit"}
    ]


# --- contacts ---------------------------------------------------------------------------------------


def test_contacts_set_and_get_with_any_contact_key(cp: ControlCase, tmp_path: Path) -> None:
    key = "someone@x.io/a b?c#d%e"
    saved = _ok(cp, "contacts", "set", key, "--json", '{"Crm": {"Tier": "gold", "Orders": 3}}')
    assert saved == {
        "mid": cp.api.mid,
        "contactKey": key,
        "attributes": {"Crm": {"Tier": "gold", "Orders": 3}},
    }
    assert _ok(cp, "contacts", "get", key) == saved
    # the key reached the server whole: the route sees the same contact
    assert cp.admin.ok("GET", f"/contacts/{quote(key, safe='')}/attributes") == saved

    document = tmp_path / "attrs.json"
    document.write_text(json.dumps({"Default": {"Email": "someone@x.io"}}))
    replaced = _ok(cp, "contacts", "set", key, "--file", str(document), "--mid", str(cp.other.mid))
    assert replaced["mid"] == cp.other.mid
    assert _ok(cp, "contacts", "get", key, "--mid", str(cp.other.mid))["attributes"] == {
        "Default": {"Email": "someone@x.io"}
    }
    assert _ok(cp, "contacts", "get", key)["attributes"] == {"Crm": {"Tier": "gold", "Orders": 3}}
    _ok(cp, "contacts", "set", key, "--file", str(document))  # replaces: Crm is gone
    assert _ok(cp, "contacts", "get", key)["attributes"] == {"Default": {"Email": "someone@x.io"}}
    assert _ok(cp, "contacts", "get", "nobody")["attributes"] == {}


def test_contacts_set_refusals(cp: ControlCase, tmp_path: Path) -> None:
    _ok(cp, "contacts", "set", "c1", "--json", '{"Crm": {"Tier": 1}}')
    status, out, err = cp.cli("contacts", "set", "c1", "--json", '{"Crm": "gold"}')
    assert (status, out) == (1, "")
    assert _json(err)["message"] == "Crm must be an object of at most 500 field values."
    status, out, err = cp.cli("contacts", "set", "c1", "--json", "{not json")
    assert (status, out) == (1, "")
    assert _json(err)["validationErrors"][0]["message"] == "The request body is not valid JSON."
    missing = tmp_path / "missing.json"
    status, out, err = cp.cli("contacts", "set", "c1", "--file", str(missing))
    assert (status, out) == (2, "") and f"journeystack admin: cannot read {missing}: " in err
    assert _ok(cp, "contacts", "get", "c1")["attributes"] == {"Crm": {"Tier": 1}}  # unchanged
    status, _, err = run_cli("admin", "contacts", "set", "c1")
    assert status == 2 and "one of the arguments --file --json is required" in err


# --- help -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (["clock"], ["Without a command: show it.", "run-until-idle", "--admin-token"]),
        (["clock", "show"], ["{now, nowMs, frozen}", "--url"]),
        (["clock", "freeze"], ["moves only when advanced"]),
        (["clock", "advance"], ["--by DURATION", "--to INSTANT", "15d, 1d12h", "only moves forward"]),
        (["clock", "run-until-idle"], ["{clock, processed}"]),
        (["clock", "real"], ["follows real time again"]),
        (["outbox"], ["Without a command: show it.", "--contact-key", "clear"]),
        (["outbox", "show"], ["oldest first", "--journey-key", "--activity-key", "--limit", "--offset"]),
        (["outbox", "clear"], ["{deleted}", "--mid"]),
        (["contacts"], ["Contact attributes", "get", "set"]),
        (["contacts", "get"], ["{mid, contactKey, attributes}", "CONTACT_KEY", "--mid"]),
        (["contacts", "set"], ["Sets left out are deleted", "--file FILE", "--json TEXT"]),
    ],
)
def test_each_command_explains_itself(command: list[str], says: list[str]) -> None:
    status, out, _ = run_cli("admin", *command, "--help")
    assert status == 0
    flat = " ".join(out.split())  # argparse wraps lines
    for text in says:
        assert text in flat, (text, out)


def test_admin_help_lists_the_engine_commands() -> None:
    status, out, _ = run_cli("admin", "--help")
    flat = " ".join(out.split())
    assert status == 0
    assert "clock [HTTP] the engine's clock" in flat and "outbox [HTTP] the messages" in flat
    assert "contacts [HTTP] a contact's attributes" in flat
