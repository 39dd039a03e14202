"""The runtime benchmarks (issue 11): `POST /interaction/v1/events`, and the engine working a clock
advance over many waiting contacts, with 100k and 1M journey instances stored.

For each size in `--runtime-sizes` (live instances stored; default 100000,1000000):

1. **Seed** a fresh SQLite file. A short-lived `journeystack serve` on it creates two event
   definitions and two journeys and publishes them, freezes the engine's clock at 2030-01-01, fires
   three probe contacts into each journey through `POST /interaction/v1/events` and works them
   (`/clock/run-until-idle`). Journey `bench-due`: wait 1 day, email, wait 1 day. Journey
   `bench-later`: wait 30 days, email. Then every other contact is written with `executemany`, each
   row a copy of its journey's probe rows (instance, and the two history rows of its entry) with
   only contact key, ids, data and times set; the probes check that a copied row equals what the
   engine wrote, so a schema change in src/ fails the seed loudly. `--runtime-due` contacts
   (default 100,000) wait in `bench-due`, due within the hour before 2030-01-02; the rest of the size
   waits in `bench-later`, due a month later. Entries are interleaved in time order, as a real
   store's rows would be. Secondary indexes are dropped for the load and re-created from the
   migrations' SQL; `journey_stats` is set to the counts.
2. **Rounds**, interleaved: round 1 of every size, then round 2 of every size, and so on, so the
   sizes of a round share the machine's conditions (the 1M-vs-100k target compares them). A round
   copies the seeded file and serves the copy with `journeystack serve` (default settings, pinned to
   one core), then:
   - `engine_advance`: `POST /_journeystack/clock/advance {"by": "1d"}` (admin token): every contact
     of `bench-due` is due and is taken up, sent its email and left in its second wait: one
     contact-step each. The call is timed, and the server's CPU time over it read from /proc, so
     steps per CPU-second is the rate per core whatever else ran on the machine.
   - `events`: the load generator fires `bench-later-event` for a new contact per request (16
     connections, as every scenario); the engine thread of the same process admits them into
     `bench-later` meanwhile. How many fired events were still in the inbox when the window closed
     is reported beside the rate.
   Then the **floor** on a second copy: `engine_floor.py` (raw sqlite3, the same rows written per
   step as journeystack wrote, checked row by row against journeystack's copy), and `floor.py`'s
   `POST /interaction/v1/events` (one INSERT into the inbox) and `GET /ping`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy.dialects import sqlite as sqlite_dialect

from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import journey_history, journey_instances

from .loadgen import TOKEN_BODY, Plan, Result, Scenario, machine_busy_seconds, tree_cpu_seconds
from .processes import (
    _env,
    _pinned,
    cores,
    floor_command,
    generate,
    journeystack_command,
    serving,
    wait_for_quiet,
)
from .profile import Summary, recording, summarize

# The scenario names (--scenarios) of the runtime pass.
EVENTS, ADVANCE = "events", "engine_advance"
FLOOR_EVENTS, FLOOR_ADVANCE, RUNTIME_CEILING = "floor_events", "floor_engine_advance", "ceiling_ping"
RUNTIME_SCENARIOS = (EVENTS, ADVANCE, FLOOR_EVENTS, FLOOR_ADVANCE)

T0 = "2030-01-01T00:00:00Z"
T0_MS = 1_893_456_000_000
DAY_MS = 86_400_000
# Bulk contacts entered during the hour before T0, in time order.
ENTRY_SPREAD_MS = 3_600_000
MID = 1000001
ADMIN_TOKEN = "bench-runtime-admin-token"  # a scratch server on 127.0.0.1
DUE, LATER = "bench-due", "bench-later"
EVENT_OF = {DUE: "bench-due-event", LATER: "bench-later-event"}
PROBES = 3
BATCH = 50_000
INTERACTIONS = "/interaction/v1/interactions"
CONTROL = "/_journeystack"
# Other processes using more than this share of a core during an advance make it suspect.
CONTENDED = 0.15


def contact_key(journey: str, index: int) -> str:
    return f"{journey}-{index:07d}"


def event_data(journey: str, index: int) -> dict[str, Any]:
    return {"Email": f"{contact_key(journey, index)}@example.com", "FirstName": "Ada", "Score": index % 100}


def guid(*parts: object) -> str:
    h = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _wait(key: str, days: int, next_key: str | None) -> dict[str, Any]:
    return {
        "key": key, "name": key, "type": "WAIT", "outcomes": [{"key": f"{key}-out", "next": next_key}],
        "configurationArguments": {"waitDuration": days, "waitUnit": "DAYS"},
        "metaData": {"uiType": "WAITBYDURATION", "isConfigured": True},
    }  # fmt: skip


def _email(key: str, next_key: str | None) -> dict[str, Any]:
    return {
        "key": key, "name": key, "type": "EMAILV2", "outcomes": [{"key": f"{key}-out", "next": next_key}],
        "configurationArguments": {"triggeredSend": {"emailSubject": "Welcome, {{Event.%s.\"FirstName\"}}"}},
        "arguments": {"contactKey": "{{Contact.Key}}"},
    }  # fmt: skip


def journey_body(journey: str) -> dict[str, Any]:
    event = EVENT_OF[journey]
    if journey == DUE:
        activities = [_wait("WAIT-1", 1, "EMAIL-1"), _email("EMAIL-1", "WAIT-2"), _wait("WAIT-2", 1, None)]
    else:
        activities = [_wait("WAIT-1", 30, "EMAIL-1"), _email("EMAIL-1", None)]
    for activity in activities:
        arguments = activity["configurationArguments"]
        if "triggeredSend" in arguments:
            arguments["triggeredSend"]["emailSubject"] %= event
    return {
        "key": journey, "name": f"Benchmark {journey}", "workflowApiVersion": 1.0, "entryMode": "MultipleEntries",
        "defaults": {"email": [f'{{{{Event.{event}."Email"}}}}']},
        "triggers": [{"key": "TRIGGER", "name": "TRIGGER", "type": "APIEvent",
                      "metaData": {"eventDefinitionKey": event}}],
        "activities": activities,
    }  # fmt: skip


def event_definition_body(journey: str) -> dict[str, Any]:
    event = EVENT_OF[journey]
    fields = [
        {"name": "Email", "dataType": "EmailAddress"},
        {"name": "FirstName", "dataType": "Text"},
        {"name": "Score", "dataType": "Number"},
    ]
    return {"type": "APIEvent", "name": event, "eventDefinitionKey": event, "schema": {"fields": fields}}


# --- results ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Advance:
    """One timed clock advance (journeystack) or floor run."""

    steps: int
    seconds: float  # wall time
    cpu_seconds: float  # the server's (floor's) CPU time over it
    other_cpu: float = 0.0  # cores' worth everything else used meanwhile
    processed: dict[str, int] = field(default_factory=dict)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0

    @property
    def steps_per_cpu_second(self) -> float:
        return self.steps / self.cpu_seconds if self.cpu_seconds else 0.0


@dataclass(slots=True)
class RuntimeRun:
    """Everything measured with one runtime store size."""

    live: int  # journey instances stored (live, waiting)
    due: int  # of which due within the advance
    pinned: bool = False
    seed_seconds: float = 0.0
    database_bytes: int = 0
    advances: list[Advance] = field(default_factory=list)  # every round, in order
    floor_advances: list[Advance] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)  # events, floor_events, ceiling: the median round
    backlog: list[int] = field(default_factory=list)  # inbox rows left when each events window closed
    profiles: dict[str, Summary] = field(default_factory=dict)

    def result(self, name: str) -> Result | None:
        return next((r for r in self.results if r.name == name), None)

    def advance(self) -> Advance | None:
        return median_advance(self.advances)

    def floor_advance(self) -> Advance | None:
        return median_advance(self.floor_advances)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        for name in ("advances", "floor_advances"):
            for entry, advance in zip(document[name], getattr(self, name), strict=True):
                entry["steps_per_second"] = advance.steps_per_second
                entry["steps_per_cpu_second"] = advance.steps_per_cpu_second
        return document


def median_advance(advances: list[Advance]) -> Advance | None:
    """The round with the median steps per CPU-second (the lower middle one of an even number)."""
    if not advances:
        return None
    ordered = sorted(advances, key=lambda a: a.steps_per_cpu_second)
    return ordered[(len(ordered) - 1) // 2]


# --- seeding -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seeded:
    path: Path
    seconds: float
    database_bytes: int


def _columns(table: Any) -> list[str]:
    return [c.name for c in table.c if c.name != "pk"]


INSTANCE_COLUMNS = _columns(journey_instances)
HISTORY_COLUMNS = _columns(journey_history)


class _Setup:
    """A journeystack server on the file being seeded, driven over HTTP."""

    def __init__(self, port: int) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        answer = self.client.post("/v2/token", json=TOKEN_BODY)
        answer.raise_for_status()
        self.api = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        self.admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def call(self, method: str, path: str, *, admin: bool = False, expect: int = 200, **kwargs: Any) -> Any:
        answer = self.client.request(method, path, headers=self.admin if admin else self.api, **kwargs)
        if answer.status_code != expect:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:500]}")
        return answer.json()

    def publish(self, journey: str) -> None:
        self.call("POST", "/interaction/v1/eventDefinitions", json=event_definition_body(journey))
        created = self.call("POST", INTERACTIONS, json=journey_body(journey))
        started = self.call("POST", f"{INTERACTIONS}/publishAsync/{created['id']}?versionNumber={created['version']}",
                            json={})  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            status = self.call("GET", started["statusUrl"])
            if not status["status"].endswith("InProcess"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"publishing {journey}: still {status['status']} after 60 s")
            time.sleep(0.05)
        if status["status"] != "PublishCompleted":
            raise RuntimeError(f"publishing {journey}: {status}")

    def fire(self, journey: str, index: int) -> None:
        body = {"ContactKey": contact_key(journey, index), "EventDefinitionKey": EVENT_OF[journey],
                "Data": event_data(journey, index)}  # fmt: skip
        self.call("POST", "/interaction/v1/events", json=body, expect=201)

    def close(self) -> None:
        self.client.close()


def _setup_env() -> dict[str, str]:
    return {
        "JOURNEYSTACK_ADMIN_TOKEN": ADMIN_TOKEN,
        "JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0",
        "JOURNEYSTACK_WORKER_POLL_SECONDS": "0.02",
        "JOURNEYSTACK_ACCESS_LOG": "false",
    }


def _probe_rows(path: Path, journey: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The probes of `journey` as the engine stored them: (instance row, its history rows)."""
    connection = sqlite3.connect(path)
    try:
        connection.row_factory = sqlite3.Row
        instances = connection.execute(
            f"SELECT {', '.join(INSTANCE_COLUMNS)} FROM journey_instances WHERE journey_key = ? ORDER BY contact_key",
            (journey,),
        ).fetchall()
        found = []
        for row in instances:
            history = connection.execute(
                f"SELECT {', '.join(HISTORY_COLUMNS)} FROM journey_history WHERE definition_instance_id = ? "
                "ORDER BY pk",
                (row["id"],),
            ).fetchall()
            found.append((dict(row), [dict(h) for h in history]))
        return found
    finally:
        connection.close()


class _Rows:
    """Rows of one journey's waiting contacts, copied from a probe's and set per contact."""

    def __init__(self, journey: str, probe: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
        self.journey = journey
        instance, history = probe
        self.instance = instance
        self.history = history
        self.wait_ms = int(instance["due_ms"]) - int(instance["entered_ms"])
        self.event = EVENT_OF[journey]

    def instance_row(self, index: int, entered_ms: int, ids: tuple[str, str]) -> dict[str, Any]:
        row = dict(self.instance)
        row.update(
            id=ids[0], event_instance_id=ids[1], contact_key=contact_key(self.journey, index),
            entered_ms=entered_ms, wait_started_ms=entered_ms, due_ms=entered_ms + self.wait_ms,
            data=orjson.dumps({"event": {self.event: event_data(self.journey, index)}}).decode(),
        )  # fmt: skip
        return row

    def history_rows(self, index: int, entered_ms: int, ids: tuple[str, str]) -> list[dict[str, Any]]:
        rows = []
        for template in self.history:
            row = dict(template)
            row.update(transaction_ms=entered_ms, contact_key=contact_key(self.journey, index),
                       definition_instance_id=ids[0], event_instance_id=ids[1])  # fmt: skip
            rows.append(row)
        return rows

    def check(self, probes: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
        """Each probe's rows, rebuilt the way the bulk rows are, must equal what the engine wrote."""
        for index, (instance, history) in enumerate(probes):
            ids = (instance["id"], instance["event_instance_id"])
            rebuilt = (
                self.instance_row(index, instance["entered_ms"], ids),
                self.history_rows(index, instance["entered_ms"], ids),
            )
            if rebuilt != (instance, history):
                raise AssertionError(
                    f"bulk rows of {self.journey} differ from the engine's ({rebuilt} != {(instance, history)}): "
                    "update bench/runtime.py"
                )


def _insert_sql(table: Any, columns: list[str]) -> str:
    compiled = table.insert().compile(dialect=sqlite_dialect.dialect(paramstyle="qmark"), column_keys=columns)
    if list(compiled.positiontup or []) != columns:
        raise AssertionError("unexpected parameter order in the compiled INSERT")
    return str(compiled)


def _schedule(due: int, later: int) -> Iterator[tuple[str, int, int]]:
    """(journey, contact index, entered_ms) of every bulk contact, in entry order: the PROBES first
    contacts of each journey entered through the API, the rest evenly interleaved over the hour before T0."""
    counts = {DUE: max(0, due - PROBES), LATER: max(0, later - PROBES)}
    total = counts[DUE] + counts[LATER]
    taken = {DUE: 0, LATER: 0}
    for slot in range(total):
        # Bresenham: bench-due takes its share of the slots, evenly.
        journey = DUE if (slot + 1) * counts[DUE] // total > taken[DUE] else LATER
        index = PROBES + taken[journey]
        taken[journey] += 1
        yield journey, index, T0_MS - ENTRY_SPREAD_MS + slot * ENTRY_SPREAD_MS // total


def seed(path: Path, live: int, due: int, workdir: Path, say: Callable[[str], None]) -> Seeded:
    """A fresh store at `path` with `due` contacts of bench-due and `live - due` of bench-later waiting."""
    started = time.perf_counter()
    url = f"sqlite:///{path.resolve()}"
    store = SqlStore(url)
    try:
        store.upgrade()
    finally:
        store.dispose()
    later = live - due
    command = partial(journeystack_command, url, [])
    with serving("journeystack-setup", command, workdir, None, _setup_env()) as server:
        setup = _Setup(server.port)
        try:
            setup.call("POST", f"{CONTROL}/clock/freeze", admin=True)
            setup.call("POST", f"{CONTROL}/clock/advance", admin=True, json={"to": T0})
            for journey, count in ((DUE, due), (LATER, later)):
                setup.publish(journey)
                for index in range(min(PROBES, count)):
                    setup.fire(journey, index)
            # The engine thread may have admitted some already; this waits for the rest.
            setup.call("POST", f"{CONTROL}/clock/run-until-idle", admin=True)
        finally:
            setup.close()
    templates: dict[str, _Rows] = {}
    for journey, count in ((DUE, due), (LATER, later)):
        probes = _probe_rows(path, journey)
        if len(probes) != min(PROBES, count):
            raise RuntimeError(f"{len(probes)} probes of {journey} were admitted, not {min(PROBES, count)}")
        if probes:
            templates[journey] = _Rows(journey, probes[0])
            templates[journey].check(probes)
    _bulk(path, templates, due, later)
    say(
        f"[runtime {live:,}] seeded {live:,} waiting contacts ({due:,} due) in {time.perf_counter() - started:.1f} s"
    )
    return Seeded(path, time.perf_counter() - started, path.stat().st_size)


def _bulk(path: Path, templates: dict[str, _Rows], due: int, later: int) -> None:
    insert_instance = _insert_sql(journey_instances, INSTANCE_COLUMNS)
    insert_history = _insert_sql(journey_history, HISTORY_COLUMNS)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('journey_instances', 'journey_history')"
        ).fetchall()
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        instances: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []

        def flush() -> None:
            connection.execute("BEGIN")
            connection.executemany(insert_instance, instances)
            connection.executemany(insert_history, history)
            connection.execute("COMMIT")
            instances.clear()
            history.clear()

        for journey, index, entered in _schedule(due, later):
            rows = templates[journey]
            ids = (guid(journey, index, "instance"), guid(journey, index, "event"))
            row = rows.instance_row(index, entered, ids)
            instances.append(tuple(row[c] for c in INSTANCE_COLUMNS))
            history.extend(
                tuple(h[c] for c in HISTORY_COLUMNS) for h in rows.history_rows(index, entered, ids)
            )
            if len(instances) >= BATCH:
                flush()
        flush()
        for _name, sql in indexes:
            connection.execute(sql)
        # The stats the engine keeps with every step (journey_stats), as if it had admitted them all.
        connection.execute(
            "UPDATE journey_stats SET "
            "current_population = (SELECT count(*) FROM journey_instances i WHERE i.definition_id = "
            "journey_stats.definition_id AND i.status IN ('Queued', 'Waiting')), "
            "cumulative_population = (SELECT count(*) FROM journey_instances i WHERE i.definition_id = "
            "journey_stats.definition_id)"
        )
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def counts(path: Path) -> dict[str, int]:
    """Rows of the runtime tables (a check that a round did what it should)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("journey_instances", "journey_history", "engine_outbox", "engine_inbox")
        }
    finally:
        connection.close()


def _copy(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{target}{suffix}")
    shutil.copyfile(source, target)
    # Written out before serving, as the journeys pass does after its seed: dirty pages left in the
    # OS cache make the kernel throttle the server's own writes.
    os.sync()


# --- measuring -----------------------------------------------------------------------------------------


def _advance(port: int, server_pid: int) -> Advance:
    """POST /_journeystack/clock/advance {"by": "1d"}, timed, with the server's CPU over it."""
    (before,) = tree_cpu_seconds(server_pid)
    busy, own = machine_busy_seconds(), time.process_time()
    started = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600) as client:
        answer = client.post(f"{CONTROL}/clock/advance", json={"by": "1d"},
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    seconds = time.perf_counter() - started
    (after,) = tree_cpu_seconds(server_pid)
    busy, own = machine_busy_seconds() - busy, time.process_time() - own
    if answer.status_code != 200:
        raise RuntimeError(f"clock advance: {answer.status_code} {answer.text[:500]}")
    processed = answer.json()["processed"]
    cpu = sum(after.values()) - sum(before.values())
    return Advance(
        steps=int(processed["steps"]), seconds=seconds, cpu_seconds=cpu,
        other_cpu=max(0.0, busy - cpu - own) / seconds, processed=processed,
    )  # fmt: skip


def _floor_advance(path: Path, core: int | None, template: dict[str, Any]) -> Advance:
    process = subprocess.run(
        [sys.executable, "-m", "bench.engine_floor", "--database", str(path), "--until", str(T0_MS + DAY_MS)],
        input=orjson.dumps(template), capture_output=True, env=_env(), preexec_fn=_pinned(core), check=False,
    )  # fmt: skip
    if process.returncode != 0:
        raise RuntimeError(f"the engine floor failed:\n{process.stderr.decode(errors='replace')[-3000:]}")
    return Advance(**orjson.loads(process.stdout))


def _step_template(path: Path, pristine: Path) -> dict[str, Any]:
    """What journeystack's advance wrote for one bench-due contact (a bulk one): its instance before
    (in the seeded file) and after, its history rows of the step and its outbox message."""
    contact = contact_key(DUE, PROBES)
    connection = sqlite3.connect(f"file:{pristine}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        before = dict(
            connection.execute("SELECT * FROM journey_instances WHERE contact_key = ?", (contact,)).fetchone()
        )
    finally:
        connection.close()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        after = dict(
            connection.execute("SELECT * FROM journey_instances WHERE contact_key = ?", (contact,)).fetchone()
        )
        history = [
            dict(r)
            for r in connection.execute(
                "SELECT * FROM journey_history WHERE contact_key = ? AND transaction_ms > ? ORDER BY pk",
                (contact, after["entered_ms"]),
            )
        ]
        outbox = [
            dict(r)
            for r in connection.execute("SELECT * FROM engine_outbox WHERE contact_key = ?", (contact,))
        ]
    finally:
        connection.close()
    for row in (*history, *outbox):
        row.pop("pk")
    return {
        "contact_key": contact,
        "before": before,
        "after": after,
        "history": history,
        "outbox": outbox,
        "event_key": EVENT_OF[DUE],
    }


def _same_step(journeystack: Path, floor: Path, sample: list[str]) -> None:
    """The floor must have written, for each sampled contact, exactly the rows journeystack wrote."""

    def rows(path: Path, contact: str) -> tuple[Any, ...]:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            instance = connection.execute(
                "SELECT * FROM journey_instances WHERE contact_key = ?", (contact,)
            ).fetchall()
            history = connection.execute(
                f"SELECT {', '.join(HISTORY_COLUMNS)} FROM journey_history WHERE contact_key = ? ORDER BY pk",
                (contact,),
            ).fetchall()
            columns = [r[1] for r in connection.execute("PRAGMA table_info(engine_outbox)") if r[1] != "pk"]
            outbox = connection.execute(
                f"SELECT {', '.join(columns)} FROM engine_outbox WHERE contact_key = ? ORDER BY pk",
                (contact,),
            ).fetchall()
            return instance, history, outbox
        finally:
            connection.close()

    for contact in sample:
        theirs, ours = rows(journeystack, contact), rows(floor, contact)
        if theirs != ours:
            raise AssertionError(
                f"the engine floor wrote other rows than journeystack for {contact}: {ours} != {theirs}"
            )


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    sizes: list[int]  # live instances stored, one pass each
    due: int  # contacts due within the advance
    duration: float
    warmup: float
    connections: int
    rounds: int
    retries: int
    quiet_wait: float
    pin: bool = True
    floor: bool = True
    scenarios: list[str] = field(default_factory=list)
    profile_dir: Path | None = None
    # Experiments, as in the journeys pass: journeystack's environment and bench.patched patches.
    server_env: dict[str, str] = field(default_factory=dict)
    server_patches: list[str] = field(default_factory=list)

    def wants(self, name: str) -> bool:
        return not self.scenarios or name in self.scenarios


def run(options: RuntimeOptions, say: Callable[[str], None]) -> list[RuntimeRun]:
    """Seed every size, then measure them round by round (round 1 of each size, round 2 of each, ...):
    the growth target compares sizes, and on a shared machine other processes' load drifts over
    minutes, so interleaving puts the sizes of a round in the same conditions."""
    if options.due <= PROBES:
        raise ValueError(f"--runtime-due must be more than {PROBES} (the probes)")
    for live in options.sizes:
        if live < options.due:
            raise ValueError(f"--runtime-sizes: {live:,} live instances cannot hold {options.due:,} due ones")
    pinned = options.pin and cores() != (None, None)
    with tempfile.TemporaryDirectory(prefix="journeystack-bench-runtime-") as scratch:
        workdir = Path(scratch)
        sizes = []
        for live in options.sizes:
            say(
                f"[runtime {live:,}] seeding {live:,} waiting contacts ({options.due:,} due in the advance) ..."
            )
            seeded = seed(workdir / f"seeded-{live}.db", live, options.due, workdir, say)
            sizes.append(_Size(seeded.path, RuntimeRun(live, options.due, pinned, round(seeded.seconds, 2),
                                                       seeded.database_bytes)))  # fmt: skip
        os.sync()
        for number in range(1, options.rounds + 1):
            for size in sizes:
                _round(options, size, number, workdir, say)
    from .runner import median

    for size in sizes:
        size.run.results = [median(results) for results in size.measured.values()]
    return [size.run for size in sizes]


@dataclass(slots=True)
class _Size:
    pristine: Path
    run: RuntimeRun
    measured: dict[str, list[Result]] = field(default_factory=dict)


def _round(
    options: RuntimeOptions, size: _Size, number: int, workdir: Path, say: Callable[[str], None]
) -> None:
    """One round of one size: journeystack (advance, events) on a fresh copy, then the floors on another."""
    from .runner import starved  # the journeys pass's rule for a window others' load spoiled

    current, pristine, measured = size.run, size.pristine, size.measured
    live = current.live
    server_core, generator_core = cores() if current.pinned else (None, None)
    tag = f"[runtime {live:,}]"
    if options.rounds > 1:
        say(f"{tag} round {number} of {options.rounds}")
    ours, floors = workdir / "journeystack.db", workdir / "floor.db"

    def settle() -> None:
        if options.quiet_wait > 0:
            waited = wait_for_quiet(options.quiet_wait, CONTENDED)
            if waited >= 2:
                say(f"{tag} waited {waited:.0f} s for other processes' load to settle")

    def load(server_pid: int, port: int, name: str, kind: str, auth: bool) -> Result:
        plan = Plan(
            port=port, journeys=0, scenarios=[Scenario(name, kind)], server_pid=server_pid,
            connections=options.connections, warmup=options.warmup, duration=options.duration, auth=auth,
            event_key=EVENT_OF[LATER],
        )  # fmt: skip
        best: Result | None = None
        for attempt in range(1, options.retries + 2):
            if attempt > 1:
                settle()
            (result,) = generate(plan, generator_core)
            result.attempts = attempt
            say(f"{tag} {name:<20} {result.rps:>9,.0f} req/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  "
                f"server {result.server_cpu:4.0%} ({result.server_us_per_request:,.0f} µs/req)  other {result.other_cpu:4.0%}"
                + (f"  ERRORS {result.errors}: {result.error_sample}" if result.errors else ""))  # fmt: skip
            if best is None or (starved(result, current.pinned), -result.rps) < (
                starved(best, current.pinned),
                -best.rps,
            ):
                best = result
            # A retry fires into the store the previous attempt grew by a few thousand contacts.
            if not starved(result, current.pinned) or result.errors:
                break
        assert best is not None
        return best

    def said(name: str, a: Advance) -> None:
        say(f"{tag} {name:<20} {a.steps:,} steps in {a.seconds:.2f} s ({a.steps_per_second:,.0f}/s), "
            f"CPU {a.cpu_seconds:.2f} s ({a.steps_per_cpu_second:,.0f} steps per CPU-second), other {a.other_cpu:.0%}")  # fmt: skip

    env = {**options.server_env, "JOURNEYSTACK_ADMIN_TOKEN": ADMIN_TOKEN}
    command = partial(journeystack_command, f"sqlite:///{ours.resolve()}", options.server_patches)
    _copy(pristine, ours)
    settle()
    with serving("journeystack", command, workdir, server_core, env) as server:
        if options.wants(ADVANCE):
            if options.profile_dir is not None:
                folded = options.profile_dir / f"runtime-{live}-{ADVANCE}-{number}.folded"
                with recording(server.pid, folded, gil=False, native=True):
                    advance = _advance(server.port, server.pid)
                current.profiles[ADVANCE] = summarize(folded, 25, waiting=False)
            else:
                advance = _advance(server.port, server.pid)
            current.advances.append(advance)
            said(ADVANCE, advance)
            if advance.steps != options.due:
                raise RuntimeError(f"the advance worked {advance.processed}; expected {options.due:,} steps")
        if options.wants(EVENTS):
            if options.profile_dir is not None:
                folded = options.profile_dir / f"runtime-{live}-{EVENTS}-{number}.folded"
                with recording(server.pid, folded, gil=False, native=True) as profiler:
                    del profiler
                    result = load(server.pid, server.port, EVENTS, "event", True)
                current.profiles[EVENTS] = summarize(folded, 25, waiting=False)
            else:
                result = load(server.pid, server.port, EVENTS, "event", True)
            measured.setdefault(EVENTS, []).append(result)
            current.backlog.append(counts(ours)["engine_inbox"])
    if options.wants(ADVANCE):
        found = counts(ours)
        # bench-due's step: 3 history rows (wait ended, email, wait) and one message each.
        if found["engine_outbox"] < options.due:
            raise RuntimeError(f"after the advance the store holds {found}")
    if options.floor and (options.wants(FLOOR_ADVANCE) or options.wants(FLOOR_EVENTS)):
        if options.wants(FLOOR_ADVANCE) and options.wants(ADVANCE):
            template = _step_template(ours, pristine)
            _copy(pristine, floors)
            settle()
            floor = _floor_advance(floors, server_core, template)
            current.floor_advances.append(floor)
            said(FLOOR_ADVANCE, floor)
            sample = [contact_key(DUE, i) for i in sorted({PROBES, options.due // 2, options.due - 1})]
            _same_step(ours, floors, sample)
        else:
            _copy(pristine, floors)
        if options.wants(FLOOR_EVENTS):
            settle()
            with serving("floor", partial(floor_command, floors), workdir, server_core) as server:
                for name, kind in ((FLOOR_EVENTS, "event"), (RUNTIME_CEILING, "ping")):
                    measured.setdefault(name, []).append(load(server.pid, server.port, name, kind, False))
    for path in (ours, floors):
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{path}{suffix}")
