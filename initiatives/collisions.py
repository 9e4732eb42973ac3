"""Where planned initiatives get in each other's way. Plain data in, plain data out.

Three kinds, after the process model's warning that changes made all at once cannot be
measured apart and may work at cross-purposes:

- interference: two initiatives change the same channel or the same journey stage in
  overlapping dates, so their effects cannot be told apart;
- cross-purposes: two overlapping initiatives expect opposite effects on the same KPI;
- overload: more than N significant initiatives at once on one channel.

Dates are inclusive days; an initiative without an end date runs on indefinitely.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

FOREVER = datetime.date.max


@dataclass(frozen=True)
class PlannedInitiative:
    id: int
    name: str
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    channels: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    effects: frozenset[tuple[str, str]] = frozenset()  # (kpi, "up" or "down")
    significant: bool = True

    @property
    def last_day(self) -> datetime.date:
        return self.ends_on or FOREVER


@dataclass(frozen=True)
class Collision:
    kind: str  # "interference", "cross_purposes" or "overload"
    initiative_ids: tuple[int, ...]  # sorted
    subject: str  # the channel, stage or KPI they collide on
    starts_on: datetime.date
    ends_on: datetime.date | None  # None: open-ended
    why: str = field(compare=False)
    # The day the last of its initiatives ends (None: one runs on indefinitely).
    members_end_on: datetime.date | None = field(default=None, compare=False)

    def is_over(self, today: datetime.date) -> bool:
        """Every initiative in it has ended: nothing is left to resolve or accept, though
        their effects in the overlap still cannot be told apart."""
        return self.members_end_on is not None and self.members_end_on < today

    @property
    def key(self) -> str:
        """Stable across runs, so that an acknowledgement finds its collision again."""
        ids = "-".join(str(i) for i in self.initiative_ids)
        key = f"{self.kind}:{ids}:{self.subject}"
        # One channel can be overloaded by the same initiatives in separate stretches.
        return f"{key}:{self.starts_on.isoformat()}" if self.kind == "overload" else key


def overlap(
    a: PlannedInitiative, b: PlannedInitiative
) -> tuple[datetime.date, datetime.date] | None:
    """The days both run (inclusive), or None."""
    start, end = max(a.starts_on, b.starts_on), min(a.last_day, b.last_day)
    return (start, end) if start <= end else None


def _end(day: datetime.date) -> datetime.date | None:
    return None if day == FOREVER else day


def _period(start: datetime.date, end: datetime.date) -> str:
    if end == FOREVER:
        return f"from {start.isoformat()} on"
    return f"{start.isoformat()} to {end.isoformat()}"


OPPOSITE = {"up": "down", "down": "up"}


def find_collisions(
    initiatives: Iterable[PlannedInitiative], *, overload_limit: int = 2
) -> list[Collision]:
    plans = sorted(initiatives, key=lambda p: p.id)
    found: list[Collision] = []
    for a, b in combinations(plans, 2):
        if a.id == b.id:
            continue
        days = overlap(a, b)
        if days is None:
            continue
        start, end = days
        ids = (a.id, b.id)
        members_end = _end(max(a.last_day, b.last_day))
        for subject in sorted(a.channels & b.channels):
            found.append(
                Collision(
                    "interference",
                    ids,
                    subject,
                    start,
                    _end(end),
                    f"“{a.name}” and “{b.name}” both change {subject} {_period(start, end)}: "
                    "their effects cannot be told apart.",
                    members_end,
                )
            )
        for stage in sorted(a.stages & b.stages):
            found.append(
                Collision(
                    "interference",
                    ids,
                    f"stage {stage}",
                    start,
                    _end(end),
                    f"“{a.name}” and “{b.name}” both change the {stage} stage "
                    f"{_period(start, end)}: their effects cannot be told apart.",
                    members_end,
                )
            )
        opposed = {kpi for kpi, direction in a.effects if (kpi, OPPOSITE[direction]) in b.effects}
        for kpi in sorted(opposed):
            found.append(
                Collision(
                    "cross_purposes",
                    ids,
                    kpi,
                    start,
                    _end(end),
                    f"“{a.name}” and “{b.name}” push {kpi} in opposite directions "
                    f"{_period(start, end)}: they work at cross-purposes.",
                    members_end,
                )
            )
    found += _overloads(plans, overload_limit)
    return found


def _overloads(plans: Sequence[PlannedInitiative], limit: int) -> list[Collision]:
    """Per channel, each stretch of days with more than `limit` significant initiatives."""
    by_channel: dict[str, list[PlannedInitiative]] = defaultdict(list)
    for plan in plans:
        if plan.significant:
            for channel in plan.channels:
                by_channel[channel].append(plan)
    found = []
    for channel, members in sorted(by_channel.items()):
        if len(members) <= limit:
            continue
        # Days where the set of running initiatives changes.
        edges = sorted(
            {p.starts_on for p in members}
            | {p.last_day + datetime.timedelta(days=1) for p in members if p.last_day != FOREVER}
        )
        stretch_start, stretch_ids, stretch_end = None, set(), None
        for i, day in enumerate(edges):
            running = {p.id for p in members if p.starts_on <= day <= p.last_day}
            next_day = edges[i + 1] - datetime.timedelta(days=1) if i + 1 < len(edges) else FOREVER
            if len(running) > limit:
                if stretch_start is None:
                    stretch_start = day
                stretch_ids |= running
                stretch_end = next_day
            elif stretch_start is not None:
                found.append(
                    _overload(channel, stretch_start, stretch_end, stretch_ids, limit, members)
                )
                stretch_start, stretch_ids = None, set()
        if stretch_start is not None:
            found.append(
                _overload(channel, stretch_start, stretch_end, stretch_ids, limit, members)
            )
    return found


def _overload(channel, start, end, ids, limit, members) -> Collision:
    names = ", ".join(f"“{p.name}”" for p in members if p.id in ids)
    return Collision(
        "overload",
        tuple(sorted(ids)),
        channel,
        start,
        _end(end),
        f"More than {limit} significant initiatives change {channel} at once "
        f"{_period(start, end)} ({names}): too much change to measure or to absorb.",
        _end(max(p.last_day for p in members if p.id in ids)),
    )
