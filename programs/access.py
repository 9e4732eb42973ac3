"""Who may see and change what.

Every view fetches its objects through these helpers. Anything outside the user's
organizations is a 404 (its existence is not revealed); anything inside that the
user's role may not change is a 403.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from programs.models import Cycle, Membership, Program


class Need(StrEnum):
    """What a view is about to do, named after the role properties on Membership."""

    VIEW = "view"
    PLAN = "can_plan"
    MANAGE = "can_manage"
    ADMINISTER = "can_administer"


def _require(membership: Membership, need: Need) -> None:
    if need is not Need.VIEW and not getattr(membership, need.value):
        raise PermissionDenied


def membership_for(user: AbstractBaseUser, slug: str, *, need: Need = Need.VIEW) -> Membership:
    """The user's membership of the organization with this slug, or 404."""
    try:
        membership = Membership.objects.select_related("organization").get(
            user=user, organization__slug=slug
        )
    except Membership.DoesNotExist:
        raise Http404 from None
    _require(membership, need)
    return membership


@dataclass(frozen=True)
class ProgramAccess:
    program: Program
    membership: Membership

    def page_context(
        self, *, cycle: Cycle | None, section: str, edit: Need, while_open: bool = True
    ) -> dict:
        """What every page of a program shows: the program, its organization, the cycle,
        and whether this person may edit here (their role, and an open cycle when the
        page's answers belong to a cycle)."""
        allowed = edit is Need.VIEW or bool(getattr(self.membership, edit.value))
        return {
            "program": self.program,
            "membership": self.membership,
            "organization": self.program.organization,
            "cycle": cycle,
            "section": section,
            "can_edit": allowed and (not while_open or (cycle is not None and cycle.is_open)),
        }


def program_for(user: AbstractBaseUser, pk: int, *, need: Need = Need.VIEW) -> ProgramAccess:
    """A program of one of the user's organizations, with the user's membership, or 404."""
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__programs__pk=pk)
        .first()
    )
    if membership is None:
        raise Http404
    _require(membership, need)
    program = Program.objects.select_related("organization").get(pk=pk)
    return ProgramAccess(program=program, membership=membership)


def cycle_for(program: Program, number: str | None = None) -> Cycle:
    """The cycle a page shows: cycle `number` (from ?cycle=N) when given, else the open one."""
    cycles = program.cycles.select_related("program__organization")
    if number:
        if not (number.isascii() and number.isdigit()):
            raise Http404
        return get_object_or_404(cycles, number=int(number))
    cycle = cycles.filter(closed_at__isnull=True).first()
    if cycle is None:
        raise Http404
    return cycle
