"""The generator's keep-alive connections, spread evenly over a server's worker processes.

With `journeystack serve --workers N`, uvicorn's workers accept from one shared listening socket and
whichever wakes first takes every connection waiting: 16 connections opened together often land on
one worker, and a keep-alive connection stays where it landed, so the other workers would idle. The
generator therefore looks up in /proc which process accepted each of its connections and replaces a
connection of the busiest worker until every worker holds its share (within one).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

Connection = TypeVar("Connection")
POLL = 0.005


def _server_sockets(port: int) -> dict[int, int]:
    """The server side of established TCP connections to `port`: client port -> socket inode
    (0 while a connection waits in the accept queue)."""
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as rows:
                lines = rows.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                sockets[int(remote.rsplit(":", 1)[1], 16)] = inode
    return sockets


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    if int(stat.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def _socket_holders(pids: list[int]) -> dict[int, int]:
    """Socket inode -> the process (of `pids`) holding it."""
    holders = {}
    for pid in pids:
        try:
            descriptors = list(os.scandir(f"/proc/{pid}/fd"))
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                target = os.readlink(descriptor.path)
            except OSError:
                continue
            if target.startswith("socket:["):
                holders[int(target[8:-1])] = pid
    return holders


def owners(server_pid: int, port: int, client_ports: list[int]) -> list[int | None]:
    """Which child process of `server_pid` accepted each connection (by the client's port), None
    for one not accepted yet."""
    sockets = _server_sockets(port)
    holders = _socket_holders(_children(server_pid))
    return [holders.get(sockets.get(client, 0)) for client in client_ports]


async def balance(
    connections: list[Connection],
    *,
    workers: int,
    server_pid: int,
    port: int,
    client_port: Callable[[Connection], int],
    connect: Callable[[], Awaitable[Connection]],
    close: Callable[[Connection], None],
    timeout: float = 15.0,
) -> list[int]:
    """Replace connections in place until each of the `workers` processes holds as many as any other
    (within one); returns the connections per worker, most first. Gives up after `timeout` seconds,
    returning the spread it reached."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        held = owners(server_pid, port, [client_port(c) for c in connections])
        if None in held and loop.time() < deadline:  # not all accepted yet
            await asyncio.sleep(POLL)
            continue
        counts = Counter(pid for pid in held if pid is not None)
        spread = sorted(counts.values(), reverse=True) + [0] * max(0, workers - len(counts))
        if spread[0] - spread[-1] <= 1 or loop.time() >= deadline:
            return spread
        busiest = counts.most_common(1)[0][0]
        index = held.index(busiest)
        close(connections[index])
        connections[index] = await connect()
