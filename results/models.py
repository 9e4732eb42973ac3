"""What comes in: result sources and their pulls and uploads, the measurements they load,
and the push API's tokens. The tables kept the names they had in kpis/ (ARCHITECTURE.md,
moving a model)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kpis.models import Kpi
from programs.jobs import JobStatus, job_status_constraint
from programs.models import CsvDelimiter, DecimalSeparator
from segments.models import Segment


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class Variant(models.TextChoices):
    ALL = "", _("All traffic")
    PERSONALIZED = "personalized", _("Personalized")
    CONTROL = "control", _("Control")
    HOLDOUT = "holdout", _("Holdout")


class SourceKind(models.TextChoices):
    UPLOAD = "upload", _("File upload")
    HTTP = "http", _("HTTP pull")
    SQL = "sql", _("SQL pull")
    PUSH = "push", _("Push API")


class Schedule(models.TextChoices):
    NONE = "", _("Not scheduled")
    HOURLY = "hourly", _("Every hour")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")


class ResultSource(models.Model):
    """Where measurements come from. Pulls (HTTP, SQL) run on a schedule kept by beat."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="sources"
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    # Header values are secrets: stored, sent with the pull, never shown back, and dropped
    # when the URL moves to another host (results.sources.source_save).
    headers = models.JSONField(_("request headers"), default=dict, blank=True)
    # A SQL source names its server and login in full: nothing is left for libpq to fill
    # in from the worker's own environment, password files or services.
    db_host = models.CharField(_("database host"), max_length=255, blank=True)
    db_port = models.PositiveIntegerField(
        _("port"), default=5432, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    db_name = models.CharField(_("database"), max_length=63, blank=True)
    db_user = models.CharField(_("user"), max_length=63, blank=True)
    db_password = models.CharField(_("password"), max_length=200, blank=True)  # a secret
    query = models.TextField(_("SQL query"), blank=True)
    schedule = models.CharField(_("schedule"), max_length=10, choices=Schedule.choices, blank=True)
    schedule_time = models.TimeField(
        _("at"), null=True, blank=True, help_text=_("For daily and weekly pulls (UTC).")
    )
    paused = models.BooleanField(_("paused"), default=False)
    # How the CSV it answers (HTTP) or its uploads are written; empty: the organization's.
    csv_delimiter = models.CharField(
        _("column separator"), max_length=1, choices=CsvDelimiter.choices, blank=True, default=""
    )
    csv_decimal = models.CharField(
        _("decimal separator"),
        max_length=1,
        choices=DecimalSeparator.choices,
        blank=True,
        default="",
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the secrets (header values, the database password) were last set or dropped,
    # and by whom: the history shows that they changed without keeping them.
    secrets_changed_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(
        excluded_fields=["headers", "db_password", "periodic_task"],
        table_name="kpis_historicalresultsource",
    )

    class Meta:
        db_table = "kpis_resultsource"
        ordering = ["name"]
        verbose_name = _("result source")
        verbose_name_plural = _("result sources")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "program",
                name="source_name_unique_in_program",
                violation_error_message=_("This program already has a source with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def csv_format(self) -> tuple[str, str]:
        """(delimiter, decimal separator) its CSV is read with: its own, else the
        organization's."""
        organization = self.program.organization
        return (
            self.csv_delimiter or organization.csv_delimiter,
            self.csv_decimal or organization.csv_decimal,
        )

    @property
    def is_pulled(self) -> bool:
        return self.kind in (SourceKind.HTTP, SourceKind.SQL)

    @property
    def secret_header_names(self) -> list[str]:
        """The names of the headers whose values are stored (the values are never shown)."""
        return [name for name, value in self.headers.items() if value]


class UploadStage(models.TextChoices):
    READING = "reading", _("Reading the file")
    MAPPING = "mapping", _("Waiting for the column mapping")
    LOADING = "loading", _("Loading")


class Pull(models.Model):
    """One run of a source: read, check every row, load all or nothing."""

    source = models.ForeignKey(ResultSource, on_delete=models.CASCADE, related_name="pulls")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    trigger = models.CharField(max_length=20, default="manual")
    file_name = models.CharField(max_length=200, blank=True)
    # How an uploaded CSV file is written, as the upload said (empty for other runs).
    csv_delimiter = models.CharField(
        max_length=1, choices=CsvDelimiter.choices, blank=True, default=""
    )
    csv_decimal = models.CharField(
        max_length=1, choices=DecimalSeparator.choices, blank=True, default=""
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The Celery task running it: a message re-delivered after its worker died may resume.
    task_id = models.CharField(max_length=64, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # Rows for KPIs that only closed cycles have (a review dropped them): left out.
    skipped = models.PositiveIntegerField(default=0)
    rejected_rows = models.JSONField(default=list, blank=True)  # the first 100
    error = models.TextField(blank=True)
    # An uploaded file waits here between its preview and its load, then is cleared.
    payload = models.BinaryField(null=True, blank=True, editable=False)
    # An upload's way through its jobs: read (header and first rows into `preview`), wait
    # for the person's mapping, load. Pulls and pushes leave it empty.
    stage = models.CharField(max_length=10, choices=UploadStage.choices, blank=True)
    preview = models.JSONField(null=True, blank=True, editable=False)
    # A running load holds its source until this moment at the latest: a worker (or a web
    # process) that died mid-load cannot wedge the source, beat marks the run failed.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "kpis_pull"
        ordering = ["-queued_at"]
        constraints = [
            job_status_constraint("pull_status_known"),
            # Two runs of one source never overlap.
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(status="running"),
                name="pull_one_running_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.queued_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Measurement(models.Model):
    """A KPI's value for a period, optionally for a segment and a variant.

    The natural key (KPI, period, segment, variant) is unique, so loading the same data
    again updates in place and never duplicates.
    """

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    period_kind = models.CharField(max_length=5, choices=PeriodKind.choices, default=PeriodKind.DAY)
    period_start = models.DateField()
    segment = models.ForeignKey(  # a segment with results cannot be deleted
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    variant = models.CharField(max_length=12, choices=Variant.choices, blank=True, default="")
    value = models.DecimalField(max_digits=18, decimal_places=6)
    numerator = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    source = models.ForeignKey(
        ResultSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    loaded_at = models.DateTimeField()

    class Meta:
        db_table = "kpis_measurement"
        ordering = ["kpi_id", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period_kind", "period_start", "segment", "variant"],
                nulls_distinct=False,
                name="measurement_natural_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_start}: {self.value}"


class ApiToken(models.Model):
    """A program's token for the push API. Shown once; only its hash is kept."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=8)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Optional: a token made for a campaign or a contractor stops working by itself.
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "kpis_apitoken"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        """Past its last day (a token without one never expires)."""
        return self.expires_at is not None and self.expires_at <= timezone.now()
