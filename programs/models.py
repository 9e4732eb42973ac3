"""The shared core: organizations and their people, programs, and the cycles they run."""

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs import calendars


def languages() -> list[tuple[str, str]]:
    """The languages the interface speaks (settings.LANGUAGES), as field choices."""
    return settings.LANGUAGES


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    TEAM = "team", _("Team member")
    EXECUTIVE = "executive", _("Executive")


class CsvDelimiter(models.TextChoices):
    """What separates the columns of a CSV file."""

    COMMA = ",", _("Comma (,)")
    SEMICOLON = ";", _("Semicolon (;)")
    TAB = "\t", _("Tab")


class DecimalSeparator(models.TextChoices):
    """What separates a number's whole part from its decimals in a file: English files
    write 8.97, Danish, Slovenian and Dutch ones (and Excel in those languages) 8,97."""

    POINT = ".", _("Point (8.97)")
    COMMA = ",", _("Comma (8,97)")


class FiscalCalendar(models.TextChoices):
    """How the organization's fiscal year is divided (programs.calendars)."""

    MONTHS = calendars.MONTHS, _("Calendar months")
    RETAIL_445 = "445", _("Retail 4-4-5 weeks")
    RETAIL_454 = "454", _("Retail 4-5-4 weeks")
    RETAIL_544 = "544", _("Retail 5-4-4 weeks")


class Weekday(models.IntegerChoices):
    """The day a retail calendar's weeks begin on."""

    MONDAY = calendars.MONDAY, _("Monday")
    SUNDAY = calendars.SUNDAY, _("Sunday")


MONTH_NAMES = [
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    overload_limit = models.PositiveSmallIntegerField(
        _("significant initiatives per channel at once"),
        default=2,
        help_text=_("More than this many at once on one channel is flagged as overload."),
    )
    # How its CSV files are written unless an upload or a source says otherwise.
    csv_delimiter = models.CharField(
        _("column separator in CSV files"),
        max_length=1,
        choices=CsvDelimiter.choices,
        default=CsvDelimiter.COMMA,
    )
    csv_decimal = models.CharField(
        _("decimal separator in CSV files"),
        max_length=1,
        choices=DecimalSeparator.choices,
        default=DecimalSeparator.POINT,
    )
    # The fiscal calendar that drivers reporting "fiscal" and their KPIs' periods follow.
    fiscal_year_start = models.PositiveSmallIntegerField(
        _("fiscal year starts in"),
        choices=MONTH_NAMES,
        default=1,
        help_text=_("The fiscal year is named after the calendar year it ends in."),
    )
    fiscal_calendar = models.CharField(
        _("fiscal periods"),
        max_length=6,
        choices=FiscalCalendar.choices,
        default=FiscalCalendar.MONTHS,
        help_text=_(
            "Retail calendars are whole weeks: each quarter 13 weeks, a year 52 or 53 "
            "(the 53rd week goes to the last month)."
        ),
    )
    week_start = models.PositiveSmallIntegerField(
        _("retail weeks start on"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_(
            "Retail calendars only; the year starts on this day nearest the first of its month."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            # Files are read with these: an unknown one would read every file wrong.
            models.CheckConstraint(
                condition=models.Q(csv_delimiter__in=CsvDelimiter.values),
                name="organization_csv_delimiter_known",
            ),
            models.CheckConstraint(
                condition=models.Q(csv_decimal__in=DecimalSeparator.values),
                name="organization_csv_decimal_known",
            ),
            # Every period of every page is cut with these: an unknown one cuts nothing.
            models.CheckConstraint(
                condition=models.Q(
                    fiscal_year_start__gte=1,
                    fiscal_year_start__lte=12,
                    fiscal_calendar__in=FiscalCalendar.values,
                    week_start__in=Weekday.values,
                ),
                name="organization_fiscal_calendar_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fiscal(self) -> calendars.Calendar:
        """The organization's fiscal calendar, to cut periods with."""
        return calendars.Calendar(
            kind=self.fiscal_calendar,
            start_month=self.fiscal_year_start,
            week_start=self.week_start,
        )


class Membership(models.Model):
    """A person's place in an organization. The role decides what they may change."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)
    # Each person decides what reaches their inbox; the role decides what can.
    alert_emails = models.BooleanField(
        _("KPI alerts"),
        default=True,
        help_text=_("Managers: an e-mail when a KPI's status worsens or crosses its threshold."),
    )
    digest_emails = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_("Executives: a Monday e-mail with every program's progress."),
    )

    class Meta:
        ordering = ["organization", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # One role per person per organization: permissions are never ambiguous.
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_one_per_user_and_org"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} ({self.get_role_display()})"

    @property
    def can_administer(self) -> bool:
        """Invite people, change roles, connect result sources."""
        return self.role == Role.ADMIN

    @property
    def can_manage(self) -> bool:
        """Create programs, fill in assessments, set goals and targets, review cycles."""
        return self.role in (Role.ADMIN, Role.MANAGER)

    @property
    def can_plan(self) -> bool:
        """Edit the plan of a cycle: initiatives and personalization blueprints."""
        return self.role in (Role.ADMIN, Role.MANAGER, Role.TEAM)


class Invitation(models.Model):
    """An e-mailed invitation to join an organization with a role.

    Only a hash of the token is stored: the link in the e-mail is the only copy of it.
    """

    VALID_FOR = datetime.timedelta(days=14)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The e-mail is written in it; the invited person chooses their own once they join.
    language = models.CharField(
        _("language of the e-mail"), max_length=8, choices=languages, default="en"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # At most one open invitation per address and organization: re-inviting
            # replaces the old one instead of leaving two valid links around.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email_and_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def expires_at(self) -> datetime.datetime:
        return self.created_at + self.VALID_FOR

    @property
    def is_usable(self) -> bool:
        """An invitation works once, and only while it is fresh."""
        return self.accepted_at is None and timezone.now() < self.expires_at


class Program(models.Model):
    """A personalization program, e.g. "Web shop NL", run as a sequence of cycles."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    context = models.CharField(
        _("context or channel"),
        max_length=120,
        blank=True,
        help_text=_("Where the program personalizes, e.g. “Web shop — desktop” or “E-mail”."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        constraints = [
            # Names identify programs in conversation; "Web shop" and "web shop" are one.
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                name="program_name_unique_in_org",
                violation_error_message=_(
                    "This organization already has a program with this name."
                ),
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="program_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Phase(models.TextChoices):
    """The four questions of a cycle, in order, and the review that closes it."""

    WHERE_ARE_WE = "where-are-we", _("Where are we?")
    WHERE_ARE_WE_GOING = "where-are-we-going", _("Where are we going?")
    HOW_DO_WE_GET_THERE = "how-do-we-get-there", _("How do we get there?")
    ARE_WE_GETTING_CLOSER = "are-we-getting-closer", _("Are we getting closer?")
    REVIEW = "review", _("Review")


class Cycle(models.Model):
    """One turn of Plan-Do-Check-Act. A program has exactly one open cycle at a time."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cycles")
    number = models.PositiveIntegerField(_("number"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    phase = models.CharField(
        _("phase"), max_length=30, choices=Phase.choices, default=Phase.WHERE_ARE_WE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A closed cycle ends on the day it was closed (ends_on); the end it was planned to
    # have is kept here, so its history can say it closed early or late.
    planned_ends_on = models.DateField(_("planned to end on"), null=True, blank=True)
    # Set by the daily job once the end date has passed or every KPI has results through
    # its target date; the managers are told once (ready_notified_at).
    ready_at = models.DateTimeField(_("ready for review since"), null=True, blank=True)
    ready_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next",
        editable=False,
        help_text=_("The cycle whose review started this one."),
    )

    class Meta:
        ordering = ["program", "-number"]
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "number"], name="cycle_number_unique_in_program"
            ),
            # The heart of the model: work always lands in the one open cycle. Two
            # concurrent "start next cycle" requests cannot both succeed.
            models.UniqueConstraint(
                fields=["program"],
                condition=models.Q(closed_at__isnull=True),
                name="cycle_one_open_per_program",
                violation_error_message=_("This program already has an open cycle."),
            ),
            # A cycle is planned to end after it starts; one closed on its first day
            # ends that day.
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on"))
                | models.Q(closed_at__isnull=False, ends_on__gte=models.F("starts_on")),
                name="cycle_ends_after_start",
                violation_error_message=_("A cycle must end after it starts."),
            ),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="cycle_number_positive"),
            models.CheckConstraint(
                condition=models.Q(phase__in=Phase.values), name="cycle_phase_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · cycle {self.number}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def days_left(self, today: datetime.date | None = None) -> int:
        """Days until the planned end; negative once the cycle runs over. A closed cycle
        has no time left (0)."""
        if not self.is_open:
            return 0
        return (self.ends_on - (today or timezone.localdate())).days

    @property
    def days_early(self) -> int:
        """How many days before its planned end a closed cycle was closed (negative: that
        many days after); 0 for an open cycle or one whose planned end is not known."""
        if self.is_open or self.planned_ends_on is None:
            return 0
        return (self.planned_ends_on - self.ends_on).days

    @property
    def days_late(self) -> int:
        return max(0, -self.days_early)

    def days_overdue(self, today: datetime.date | None = None) -> int:
        """Days since the planned end passed without a review; 0 while it runs."""
        return max(0, -self.days_left(today))

    def phase_index(self) -> int:
        return Phase.values.index(self.phase)


class Profile(models.Model):
    """What a person chose for themselves, in every organization they belong to.

    `language` is the language of their pages and e-mails; empty until they choose one,
    and then their browser's `Accept-Language` decides (programs/languages.py).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    language = models.CharField(_("language"), max_length=8, choices=languages, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.language or 'browser language'})"


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the heartbeat task (scheduled every minute by beat).

    One row per worker host; `/health/worker/` reports a worker silent for too long, which
    means pulls and alerts are not running even though the web pages still answer.
    """

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
