"""How much of one of the cycle's questions is answered: the steps done out of all, and the
ones still to do, as the question pages and the program home show it (no Django)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Completeness:
    done: int
    total: int
    missing: tuple[str, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
