"""The engine's floor: the least a program on journeystack's stack (Python, the sqlite3 driver, orjson)
can do to work the runtime benchmark's clock advance, for comparison with `engine_advance`.

It takes up the due instances as journeystack does (`WHERE due_ms <= ? ORDER BY due_ms, id LIMIT 500`,
one `BEGIN IMMEDIATE` transaction per batch of 500), reads each one's entry data (orjson) for the
email address, and writes what journeystack wrote for that step: the instance's changed columns, its
history rows and its outbox message, with `executemany`. It knows the journey (the rows journeystack
wrote for one contact, on stdin, are its template): no plan, no clock row, no due-kind query, no
binding, no ORM. bench/runtime.py checks, for a sample of contacts, that its rows equal journeystack's.

`python -m bench.engine_floor --database FILE --until MS < template.json` prints one JSON line:
steps, wall seconds, CPU seconds (this process), other processes' CPU meanwhile (cores' worth).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from .loadgen import machine_busy_seconds

BATCH = 500
_WIDE = 400 * 86_400_000  # an int this close to the step's time is a time relative to it

Field = Callable[[tuple[Any, ...]], Any]  # (id, contact_key, event_instance_id, due_ms, address) -> value


def _field(name: str, value: Any, model: dict[str, Any]) -> Field:
    """How to set column `name` for another contact, given its value for the model contact."""
    due = model["due_ms"]
    if name == "address":
        return lambda y: y[4]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value - due) < _WIDE:
        delta = value - due
        return lambda y: y[3] + delta
    if isinstance(value, str):
        if value == model["id"]:
            return lambda y: y[0]
        if value == model["event_instance_id"]:
            return lambda y: y[2]
        if model["contact_key"] in value:
            head, tail = value.split(model["contact_key"], 1)
            return lambda y: head + y[1] + tail
    return lambda _y: value


def _writer(
    row: dict[str, Any], model: dict[str, Any]
) -> tuple[list[str], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
    names = list(row)
    fields = [_field(name, row[name], model) for name in names]
    return names, lambda y: tuple(f(y) for f in fields)


def run(path: str, until_ms: int, template: dict[str, Any], batch: int = BATCH) -> dict[str, Any]:
    before, after = template["before"], template["after"]
    model = {"id": after["id"], "event_instance_id": after["event_instance_id"], "contact_key": template["contact_key"],
             "due_ms": before["due_ms"]}  # fmt: skip
    event_key = template["event_key"]
    changed = {name: value for name, value in after.items() if before.get(name) != value}
    set_names, set_values = _writer(changed, model)
    update = f"UPDATE journey_instances SET {', '.join(f'{n} = ?' for n in set_names)} WHERE id = ?"
    history = [_writer(row, model) for row in template["history"]]
    outbox = [_writer(row, model) for row in template["outbox"]]

    def insert(table: str, names: list[str]) -> str:
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"

    insert_history = insert("journey_history", history[0][0]) if history else ""
    insert_outbox = insert("engine_outbox", outbox[0][0]) if outbox else ""
    select = (
        "SELECT id, contact_key, event_instance_id, due_ms, data FROM journey_instances "
        "WHERE due_ms <= ? ORDER BY due_ms, id LIMIT ?"
    )
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    steps = 0
    busy, cpu, started = machine_busy_seconds(), time.process_time(), time.perf_counter()
    while True:
        db.execute("BEGIN IMMEDIATE")
        due = db.execute(select, (until_ms, batch)).fetchall()
        if not due:
            db.execute("COMMIT")
            break
        updates: list[tuple[Any, ...]] = []
        histories: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        for instance_id, contact, event_instance_id, due_ms, data in due:
            address = orjson.loads(data)["event"][event_key]["Email"]
            y = (instance_id, contact, event_instance_id, due_ms, address)
            updates.append((*set_values(y), instance_id))
            histories.extend(values(y) for _names, values in history)
            messages.extend(values(y) for _names, values in outbox)
        db.executemany(update, updates)
        if histories:
            db.executemany(insert_history, histories)
        if messages:
            db.executemany(insert_outbox, messages)
        db.execute("COMMIT")
        steps += len(due)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    busy = machine_busy_seconds() - busy
    db.close()
    return {
        "steps": steps,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "other_cpu": max(0.0, busy - cpu) / seconds,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument(
        "--until", type=int, required=True, help="work what is due at or before this epoch ms"
    )
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args(argv)
    template = orjson.loads(sys.stdin.buffer.read())
    sys.stdout.write(orjson.dumps(run(args.database, args.until, template, args.batch)).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
