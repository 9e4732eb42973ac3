"""Who the customers are: customer attributes, segments and their conditions, customer
tables and the cluster runs over them. The tables kept the names they had in kpis/
(ARCHITECTURE.md, moving a model)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from programs.jobs import ACTIVE, JobStatus, job_status_constraint
from programs.models import Organization
from segments import wording
from segments.conditions import AttributeType, Operator, describe


class Attribute(models.Model):
    """A customer attribute segments and offers are defined on (e.g. "visitor type")."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="attributes"
    )
    key = models.SlugField(_("key"), max_length=60, help_text=_("As in the data, e.g. cart_value."))
    label = models.CharField(_("label"), max_length=80)
    type = models.CharField(
        _("type"), max_length=10, choices=[(t.value, t.value.title()) for t in AttributeType]
    )
    allowed_values = models.JSONField(
        _("allowed values"), default=list, blank=True, help_text=_("For categories only.")
    )

    class Meta:
        db_table = "kpis_attribute"
        ordering = ["label"]
        verbose_name = _("customer attribute")
        verbose_name_plural = _("customer attributes")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"], name="attribute_key_unique_in_org"
            ),
            models.CheckConstraint(
                condition=models.Q(type__in=[t.value for t in AttributeType]),
                name="attribute_type_known",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def as_plain(self):
        from segments.conditions import Attribute as PlainAttribute

        return PlainAttribute(
            key=self.key,
            label=self.label,
            type=AttributeType(self.type),
            allowed_values=tuple(self.allowed_values or ()),
        )


class Segment(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="segments"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    estimated_size = models.PositiveIntegerField(
        _("estimated size"), null=True, blank=True, help_text=_("Number of customers.")
    )
    estimated_value = models.DecimalField(
        _("estimated yearly value"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Revenue from the segment per year."),
    )
    # A segment saved from a discovered cluster keeps where it came from, so its page can
    # show how many of that table's customers its (edited) conditions reach.
    discovered_in = models.ForeignKey(
        "ClusterRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="segments"
    )
    discovered_cluster = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        db_table = "kpis_segment"
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                name="segment_name_unique_in_org",
                violation_error_message=_("There is already a segment with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTable(models.Model):
    """An uploaded customer table segments are discovered in, stored as column arrays.

    The upload is read once; its columns (numbers as floats, categories as codes) are kept
    in `data` (an .npz file in the media folder), described in `columns`, so runs and the
    reach of a segment's conditions never parse the file again.

    The request only keeps the uploaded file in `upload`; a job reads it (`status` says
    how far it got, `error` why it failed) and deletes it, read or not."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="customer_tables"
    )
    name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    upload = models.FileField(upload_to="customer-tables/uploads/", max_length=300, blank=True)
    rows = models.PositiveIntegerField(default=0)
    columns = models.JSONField(default=list)  # segments.clustering.StoredColumn.as_dict()
    data = models.FileField(upload_to="customer-tables/", max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "kpis_customertable"
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("customer table")
        verbose_name_plural = _("customer tables")
        constraints = [
            job_status_constraint("customer_table_status_known"),
            # Runs and reach read the arrays of every table that says it is read.
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | ~models.Q(data=""),
                name="customer_table_read_has_data",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ready(self) -> bool:
        """Read, so its columns can be clustered."""
        return self.status == JobStatus.SUCCEEDED

    @property
    def reading(self) -> bool:
        """Its job has yet to finish: the page waits for it."""
        return self.status in ACTIVE

    @property
    def not_clusterable_because(self) -> str:
        """Why no run can start on it yet ("" when one can), for the page and the service."""
        if self.reading:
            return str(_("The file is still being read; start a run when its columns appear."))
        if not self.ready:
            return str(_("This table could not be read, so it cannot be clustered."))
        return ""


class ClusterRun(models.Model):
    """One K-means run on a customer table: its settings (seed included, so it can be
    repeated), its progress while the job runs, and the clusters it found."""

    table = models.ForeignKey(CustomerTable, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField(editable=False)
    keys = models.JSONField(default=list)  # the columns clustered on, as attribute keys
    k = models.PositiveSmallIntegerField(null=True, blank=True)  # asked for; None: chosen
    k_min = models.PositiveSmallIntegerField(default=2)
    k_max = models.PositiveSmallIntegerField(default=8)
    seed = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    labels = models.FileField(upload_to="cluster-labels/", max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "kpis_clusterrun"
        ordering = ["-number"]
        verbose_name = _("cluster run")
        verbose_name_plural = _("cluster runs")
        constraints = [
            job_status_constraint("cluster_run_status_known"),
            # Runs are numbered per table, so "run 3" names one result.
            models.UniqueConstraint(fields=["table", "number"], name="cluster_run_number_unique"),
            models.CheckConstraint(
                condition=models.Q(k_min__lte=models.F("k_max")), name="cluster_run_k_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.number} on {self.table}"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def clusters(self) -> list[dict]:
        return self.result.get("clusters", [])


class SegmentCondition(models.Model):
    """One positive statement of a segment's definition; all must hold."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="conditions")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    operator = models.CharField(max_length=12, choices=[(o.value, o.value) for o in Operator])
    value = models.JSONField(default=str, blank=True)

    class Meta:
        db_table = "kpis_segmentcondition"
        ordering = ["pk"]
        verbose_name = _("segment condition")
        verbose_name_plural = _("segment conditions")

    def __str__(self) -> str:
        return describe(self.attribute.as_plain(), self.operator, self.value, wording.current())
