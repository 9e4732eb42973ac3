"""Writes of the shared core. Each validates fully before it saves anything."""

import datetime
import secrets

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from programs.models import (
    Cycle,
    Invitation,
    Membership,
    Organization,
    Phase,
    Profile,
    Program,
    Role,
)
from programs.signals import calendar_changed

log = structlog.get_logger(__name__)
User = get_user_model()

DEFAULT_CYCLE_LENGTH = datetime.timedelta(weeks=13)


def ensure_cycle_open(cycle: Cycle) -> None:
    """Every write to a cycle's answers goes through this: a closed cycle is history."""
    if not cycle.is_open:
        raise ValidationError(
            _("Cycle %(n)s is closed; its answers can be read but no longer changed.")
            % {"n": cycle.number}
        )


def organization_create(*, name: str, admin: AbstractBaseUser | None = None) -> Organization:
    """A new organization with a unique slug; `admin`, when given, becomes its first admin."""
    base = slugify(name)[:50] or "organization"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    organization = Organization(name=name, slug=slug)
    organization.full_clean()
    with transaction.atomic():
        organization.save()
        if admin is not None:
            membership_add(organization=organization, user=admin, role=Role.ADMIN)
    return organization


def membership_add(*, organization: Organization, user: AbstractBaseUser, role: str) -> Membership:
    membership = Membership(organization=organization, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


def _ensure_an_admin_remains(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.ADMIN)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise ValidationError(
            _("%(org)s needs at least one admin. Make someone else an admin first.")
            % {"org": membership.organization}
        )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: AbstractBaseUser) -> None:
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_an_admin_remains(membership)
    old = membership.role
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    log.info("membership_role_changed", membership=membership.pk, old=old, new=role, by=by.pk)


@transaction.atomic
def membership_remove(*, membership: Membership, by: AbstractBaseUser) -> None:
    if membership.role == Role.ADMIN:
        _ensure_an_admin_remains(membership)
    log.info("membership_removed", membership=membership.pk, by=by.pk)
    membership.delete()


def organization_file_format_set(
    *, organization: Organization, csv_delimiter: str, csv_decimal: str, by: AbstractBaseUser
) -> None:
    """How the organization's CSV files are written, for uploads that do not say."""
    organization.csv_delimiter, organization.csv_decimal = csv_delimiter, csv_decimal
    organization.full_clean()
    organization.save(update_fields=["csv_delimiter", "csv_decimal"])
    log.info("file_format_set", organization=organization.pk, by=by.pk)


@transaction.atomic
def organization_calendar_set(
    *,
    organization: Organization,
    fiscal_year_start: int,
    fiscal_calendar: str,
    week_start: int,
    by: AbstractBaseUser,
) -> None:
    """The organization's fiscal calendar: the periods of every KPI that reports in it
    change with it (announced, so that progress refreshes)."""
    before = organization.fiscal
    organization.fiscal_year_start = fiscal_year_start
    organization.fiscal_calendar = fiscal_calendar
    organization.week_start = week_start
    organization.full_clean()
    organization.save(update_fields=["fiscal_year_start", "fiscal_calendar", "week_start"])
    if organization.fiscal != before:
        calendar_changed.send(sender=Organization, organization_id=organization.pk)
    log.info("fiscal_calendar_set", organization=organization.pk, by=by.pk)


def profile_set_language(*, user: AbstractBaseUser, language: str) -> Profile:
    """Keep `language` on the person's account: their pages and e-mails use it from now on."""
    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    profile.language = language
    profile.full_clean()
    profile.save()
    log.info("language_chosen", user=user.pk, language=language)
    return profile


def invitation_send(
    *,
    organization: Organization,
    email: str,
    role: str,
    by: AbstractBaseUser,
    accept_url: str,
    language: str = settings.LANGUAGE_CODE,
) -> Invitation:
    """Invite an address to the organization and e-mail it a one-time link, in `language`.

    `accept_url` is a format string with `{token}` in it, built by the view so that the
    link carries the host the admin is using.
    """
    email = User.objects.normalize_email(email).strip()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        token_hash=Invitation.hash_token(token),
        invited_by=by,
        language=language,
    )
    invitation.full_clean(validate_constraints=False)
    with transaction.atomic():
        # A new invitation replaces an open one to the same address.
        Invitation.objects.filter(
            organization=organization, email__iexact=email, accepted_at__isnull=True
        ).delete()
        invitation.save()
        context = {"invitation": invitation, "url": accept_url.format(token=token), "by": by}
        transaction.on_commit(lambda: _invitation_mail(invitation, context))
    log.info("invitation_sent", organization=organization.pk, role=role, by=by.pk)
    return invitation


def _invitation_mail(invitation: Invitation, context: dict) -> None:
    with translation.override(invitation.language):
        send_mail(
            subject=_("You are invited to %(org)s on Fourfold") % {"org": invitation.organization},
            message=render_to_string("programs/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )


def invitation_find(*, token: str) -> Invitation | None:
    """The usable invitation behind a link's token, or None (unknown, used or expired)."""
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    return invitation if invitation and invitation.is_usable else None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Join the invitation's organization. Works once: a second accept is refused.

    `user` may be a new, unsaved account: it is saved only if the invitation holds.
    """
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    if not claimed:
        raise ValidationError(_("This invitation has already been used."))
    if user.pk is None:
        user.save()
    membership, created = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    log.info("invitation_accepted", invitation=invitation.pk, user=user.pk, joined=created)
    return membership


def invitation_revoke(*, invitation: Invitation, by: AbstractBaseUser) -> None:
    log.info("invitation_revoked", invitation=invitation.pk, by=by.pk)
    invitation.delete()


@transaction.atomic
def program_create(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    context: str = "",
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    by: AbstractBaseUser | None,
) -> Program:
    """A new program, with its first cycle open from `starts_on` (default today)."""
    program = Program(
        organization=organization,
        name=name.strip(),
        description=description,
        context=context.strip(),
        created_by=by,
    )
    program.full_clean()
    program.save()  # assessments/ gives its organization the default dimensions
    starts_on = starts_on or timezone.localdate()
    cycle_open(
        program=program, starts_on=starts_on, ends_on=ends_on or starts_on + DEFAULT_CYCLE_LENGTH
    )
    log.info("program_created", program=program.pk, organization=organization.pk)
    return program


def program_update(
    *, program: Program, name: str, description: str, context: str, by: AbstractBaseUser
) -> Program:
    program.name = name.strip()
    program.description = description
    program.context = context.strip()
    program.full_clean()
    program.save(update_fields=["name", "description", "context"])
    log.info("program_updated", program=program.pk, by=by.pk)
    return program


def cycle_open(*, program: Program, starts_on: datetime.date, ends_on: datetime.date) -> Cycle:
    """Open the program's next cycle.

    The database refuses a second open cycle (constraint `cycle_one_open_per_program`),
    so two concurrent callers cannot both succeed; the loser gets an IntegrityError.
    """
    last = program.cycles.order_by("-number").values_list("number", flat=True).first()
    cycle = Cycle(program=program, number=(last or 0) + 1, starts_on=starts_on, ends_on=ends_on)
    # Constraints are left to the database: it alone sees concurrent writers.
    cycle.full_clean(validate_constraints=False)
    if not ends_on > starts_on:
        raise ValidationError({"ends_on": _("A cycle must end after it starts.")})
    cycle.save()
    return cycle


def cycle_set_phase(*, cycle: Cycle, phase: str, by: AbstractBaseUser) -> Cycle:
    """Move the cycle to another question. Only an open cycle moves."""
    if not cycle.is_open:
        raise ValidationError(
            _("Cycle %(n)s is closed and can no longer change.") % {"n": cycle.number}
        )
    if phase not in Phase.values:
        raise ValidationError(_("Unknown phase."))
    cycle.phase = phase
    cycle.save(update_fields=["phase"])
    log.info("cycle_phase_set", cycle=cycle.pk, phase=phase, by=by.pk)
    return cycle


# --- Dashboard visits, saved filters, notifications --------------------------------------
