"""A journey version as a laid-out graph: the trigger, the activities and the end of each path as
boxes, the outcomes as labelled arrows, placed by a Sugiyama (layered) layout from grandalf and
drawn left to right as SFMC's canvas is. The templates turn a Canvas into inline SVG.

Layouts are cached by what they depend on (the version's document and size of its text), so a
busy page lays a version out once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from journeystack.domain.console import END, Flow

from .describe import activity_lines, outcome_labels, trigger_lines, type_name

NODE_WIDTH: Final = 220
END_WIDTH: Final = 64
END_HEIGHT: Final = 30
LINE_HEIGHT: Final = 16
LAYER_GAP: Final = 90  # between columns
NODE_GAP: Final = 34  # between boxes of one column
MARGIN: Final = 24
MAX_LINES: Final = 3
MAX_CHARS: Final = 30  # of a line in a box (the whole text is in its tooltip)
LAYOUT_CACHE: Final = 256


def slug(key: str) -> str:
    """An element id part for an activity key: letters, digits and '-' as they are, anything else
    as `_<hex>_`, so two keys never share an id."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else f"_{ord(c):x}_" for c in key)


def clip(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class Node:
    id: str  # the element id (anchors from problem lists point here)
    key: str  # the activity key; "" for the trigger, the source key + "#end<n>" for an end
    kind: str  # trigger | activity | end
    title: str
    type_label: str
    lines: list[str]
    width: float
    height: float
    x: float = 0.0
    y: float = 0.0
    marks: set[str] = field(default_factory=set)  # CSS classes: added, removed, changed, problem
    now: int | None = None  # contacts waiting here
    reached: int | None = None  # contacts that came here (over the kept history)
    problems: int = 0

    @property
    def center_y(self) -> float:
        return self.y + self.height / 2


@dataclass(slots=True)
class Arrow:
    source: str
    target: str
    label: str
    path: str = ""
    label_x: float = 0.0
    label_y: float = 0.0
    count: int | None = None
    shared: int = 1  # outcomes of the source that lead to the same target (the count is theirs)
    marks: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Canvas:
    prefix: str
    nodes: list[Node]
    arrows: list[Arrow]
    width: float
    height: float
    # Activity key -> node id, for links from problem lists and diffs.
    anchors: dict[str, str] = field(default_factory=dict)

    def node(self, key: str) -> Node | None:
        anchor = self.anchors.get(key)
        return next((n for n in self.nodes if n.id == anchor), None)


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def activities_of(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = spec.get("activities")
    return [a for a in raw if isinstance(a, Mapping)] if isinstance(raw, list) else []


def trigger_key(spec: Mapping[str, Any]) -> str:
    triggers = spec.get("triggers")
    first = _object(triggers[0]) if isinstance(triggers, list) and triggers else {}
    key = first.get("key")
    return key if isinstance(key, str) and key else "TRIGGER"


# --- the graph ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Shape:
    """What layout depends on: boxes (id, width, height) and arrows (source, target), in order."""

    nodes: list[Node]
    arrows: list[Arrow]


def _shape(spec: Mapping[str, Any], prefix: str) -> _Shape:
    activities = activities_of(spec)
    triggers = spec.get("triggers")
    trigger = _object(triggers[0]) if isinstance(triggers, list) and triggers else {}
    trigger_type = trigger.get("type") if isinstance(trigger.get("type"), str) else ""
    nodes = [
        Node(
            id=f"{prefix}trigger", key="", kind="trigger",
            title=str(trigger.get("name") or trigger.get("key") or "Entry"), type_label=type_name(str(trigger_type)),
            lines=trigger_lines(trigger), width=NODE_WIDTH, height=0,
        )
    ]  # fmt: skip
    by_key: dict[str, Node] = {}
    for activity in activities:
        key = activity.get("key")
        if not isinstance(key, str) or not key or key in by_key:
            continue
        node = Node(
            id=f"{prefix}act-{slug(key)}", key=key, kind="activity",
            title=str(activity.get("name") or key), type_label=type_name(str(activity.get("type") or "")),
            lines=activity_lines(activity), width=NODE_WIDTH, height=0,
        )  # fmt: skip
        by_key[key] = node
        nodes.append(node)
    arrows: list[Arrow] = []
    targets: set[str] = set()
    for activity in activities:
        source = by_key.get(activity.get("key"))  # type: ignore[arg-type]
        if source is None or by_key.get(str(activity.get("key"))) is not source:
            continue
        outcomes = [o for o in (activity.get("outcomes") or []) if isinstance(o, Mapping)]
        labels = outcome_labels(activity)
        for index, outcome in enumerate(outcomes):
            label = labels[index] if index < len(labels) else ""
            target_key = outcome.get("next")
            target = by_key.get(target_key) if isinstance(target_key, str) else None
            if target is None or target is source:
                end = Node(
                    id=f"{source.id}-end{index}", key=f"{source.key}#end{index}", kind="end", title="End",
                    type_label="", lines=[], width=END_WIDTH, height=END_HEIGHT,
                )  # fmt: skip
                nodes.append(end)
                arrows.append(Arrow(source.id, end.id, label))
            else:
                targets.add(target.key)
                arrows.append(Arrow(source.id, target.id, label))
    first = next((n for n in by_key.values() if n.key not in targets), None)
    if first is not None:
        arrows.insert(0, Arrow(nodes[0].id, first.id, ""))
    for node in nodes:
        if node.kind != "end":
            node.lines = [clip(line) for line in node.lines[:MAX_LINES]]
            node.title = node.title
            node.height = 46 + LINE_HEIGHT * len(node.lines)
    return _Shape(nodes, arrows)


# --- layout --------------------------------------------------------------------------------------------


class _Box:
    """A vertex's view for grandalf: its size with width and height swapped, because the layout
    stacks layers top to bottom and the canvas runs left to right."""

    def __init__(self, node: Node) -> None:
        self.w = node.height
        self.h = node.width
        self.xy: tuple[float, float] = (0.0, 0.0)


class _Route:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = list(points)


def _layout(
    shape: _Shape,
) -> tuple[dict[str, tuple[float, float]], dict[tuple[str, str], list[tuple[float, float]]], float, float]:
    """Top-left corners of the boxes, the bend points of each (source, target) pair, and the size."""
    vertices = {node.id: Vertex(node.id) for node in shape.nodes}
    for node in shape.nodes:
        vertices[node.id].view = _Box(node)
    pairs: dict[tuple[str, str], Any] = {}
    for arrow in shape.arrows:
        pair = (arrow.source, arrow.target)
        if pair not in pairs and arrow.source != arrow.target:
            edge = GEdge(vertices[arrow.source], vertices[arrow.target])
            edge.view = _Route()
            pairs[pair] = edge
    graph = Graph(list(vertices.values()), list(pairs.values()))
    by_id = {node.id: node for node in shape.nodes}
    corners: dict[str, tuple[float, float]] = {}
    bends: dict[tuple[str, str], list[tuple[float, float]]] = {}
    top = float(MARGIN)
    width = 0.0
    for component in graph.C:
        layout = SugiyamaLayout(component)
        layout.xspace = NODE_GAP
        layout.yspace = LAYER_GAP
        roots = [v for v in component.sV if not v.e_in()]
        layout.init_all(roots=roots or None)
        layout.draw()
        # grandalf's (x, y) is (across a layer, down the layers): the canvas's (y, x).
        centres = {v.data: (v.view.xy[1], v.view.xy[0]) for v in component.sV}
        min_x = min(cx - by_id[i].width / 2 for i, (cx, _) in centres.items())
        min_y = min(cy - by_id[i].height / 2 for i, (_, cy) in centres.items())
        max_y = max(cy + by_id[i].height / 2 for i, (_, cy) in centres.items())
        shift_x, shift_y = MARGIN - min_x, top - min_y
        for node_id, (cx, cy) in centres.items():
            node = by_id[node_id]
            corners[node_id] = (cx - node.width / 2 + shift_x, cy - node.height / 2 + shift_y)
            width = max(width, corners[node_id][0] + node.width + MARGIN)
        for pair, edge in pairs.items():
            if edge.v[0] in component.sV:
                bends[pair] = [(y + shift_x, x + shift_y) for x, y in edge.view.points[1:-1]]
        top += max_y - min_y + LAYER_GAP / 2
    return corners, bends, width, top - LAYER_GAP / 2 + MARGIN


_cache: OrderedDict[tuple[str, str], tuple[Any, ...]] = OrderedDict()
_cache_lock = threading.Lock()


def _cached_layout(shape: _Shape, fingerprint: str) -> tuple[Any, ...]:
    key = (fingerprint, "|".join(f"{n.id}:{n.height}" for n in shape.nodes))
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = _layout(shape)
    with _cache_lock:
        _cache[key] = found
        while len(_cache) > LAYOUT_CACHE:
            _cache.popitem(last=False)
    return found


def _path(points: list[tuple[float, float]]) -> str:
    """An SVG path through the points, bending smoothly (horizontal tangents at each point)."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        middle = (x1 - x0) / 2 if x1 > x0 else max(40.0, (x0 - x1) / 2)
        parts.append(f"C{x0 + middle:.1f},{y0:.1f} {x1 - middle:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(parts)


# --- the canvas ----------------------------------------------------------------------------------------


def build_canvas(
    spec: Mapping[str, Any],
    *,
    fingerprint: str,
    prefix: str = "",
    flow: Flow | None = None,
) -> Canvas:
    """A laid-out canvas of a Journey Spec document. `fingerprint` names the document for the
    layout cache (the definitionId and modifiedDate); `flow` adds contact counts."""
    shape = _shape(spec, prefix)
    corners, bends, width, height = _cached_layout(shape, fingerprint + "/" + prefix)
    by_id = {node.id: node for node in shape.nodes}
    for node in shape.nodes:
        node.x, node.y = corners[node.id]
    seen: dict[tuple[str, str], int] = {}
    for arrow in shape.arrows:
        source, target = by_id[arrow.source], by_id[arrow.target]
        start = (source.x + source.width, source.center_y)
        end = (target.x, target.center_y)
        points = [start, *bends.get((arrow.source, arrow.target), []), end]
        arrow.path = _path(points)
        nth = seen.get((arrow.source, arrow.target), 0)
        seen[(arrow.source, arrow.target)] = nth + 1
        ahead = points[1]
        arrow.label_x = start[0] + min(70.0, (ahead[0] - start[0]) / 2) + 6
        arrow.label_y = start[1] + (ahead[1] - start[1]) * 0.35 - 6 + 14 * nth
    canvas = Canvas(prefix, shape.nodes, shape.arrows, max(width, NODE_WIDTH + 2 * MARGIN), height)
    trigger = trigger_key(spec)
    canvas.anchors[trigger] = f"{prefix}trigger"
    canvas.anchors[""] = f"{prefix}trigger"
    for node in shape.nodes:
        if node.kind == "activity":
            canvas.anchors[node.key] = node.id
    if flow is not None:
        _count(canvas, flow, trigger, by_id)
    return canvas


def _count(canvas: Canvas, flow: Flow, trigger: str, by_id: dict[str, Node]) -> None:
    """Contacts waiting in each box and moving along each arrow (an arrow shared by several
    outcomes of one activity carries their count once: the history does not say which was taken)."""
    for node in canvas.nodes:
        if node.kind == "trigger":
            node.now = flow.waiting.get(None, 0)
            node.reached = sum(n for (source, _), n in flow.moves.items() if source == trigger)
        elif node.kind == "activity":
            node.now = flow.waiting.get(node.key, 0)
            node.reached = sum(n for (_, target), n in flow.moves.items() if target == node.key)
    shared: dict[tuple[str, str], list[Arrow]] = {}
    for arrow in canvas.arrows:
        shared.setdefault((arrow.source, arrow.target), []).append(arrow)
    for (source_id, target_id), arrows in shared.items():
        source, target = by_id[source_id], by_id[target_id]
        source_key = trigger if source.kind == "trigger" else source.key
        target_key = END if target.kind == "end" else target.key
        arrows[0].count = flow.moves.get((source_key, target_key), 0)
        arrows[0].shared = len(arrows)
