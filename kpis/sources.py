"""Writes of question 4's data side: result sources, their pulls, uploads and pushes.

Every way in ends in `_check_and_load`: read the rows, check every one (kpis.ingest),
and load all of them in one transaction, or none and say which rows are wrong.
"""

import datetime
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request

import psycopg
import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from kpis import ingest
from kpis.loading import measurements_load
from kpis.models import ApiToken, Kpi, Pull, PullStatus, ResultSource, Schedule, SourceKind
from programs.models import Program
from programs.tasks import enqueue_on_commit

log = structlog.get_logger(__name__)

HTTP_TIMEOUT = 20  # seconds
SQL_TIMEOUT_MS = 60_000
MAX_BYTES = 50 * 1024 * 1024
READ_ONLY_OPTIONS = f"-c default_transaction_read_only=on -c statement_timeout={SQL_TIMEOUT_MS}"


class TransientPullError(Exception):
    """Worth trying again later: the network, a 5xx answer, a busy database."""


class PullFailed(Exception):
    """Not worth trying again: the message tells a person what to fix."""


# --- Sources --------------------------------------------------------------------------


def source_save(
    *, program: Program, by: AbstractBaseUser, source: ResultSource | None = None, **values
) -> ResultSource:
    source = source or ResultSource(program=program)
    headers = values.pop("headers", None)
    for name, value in values.items():
        setattr(source, name, value)
    if headers is not None:
        # A header sent without a value keeps the stored secret.
        source.headers = {k: (v or source.headers.get(k, "")) for k, v in headers.items()}
    errors = {}
    if source.kind == SourceKind.HTTP and not source.url:
        errors["url"] = _("An HTTP source needs the URL to pull from.")
    if source.kind == SourceKind.SQL:
        source.query = source.query.strip().rstrip(";").strip()
        if not source.dsn:
            errors["dsn"] = _("A SQL source needs a PostgreSQL DSN.")
        elif _is_own_database(source.dsn):
            errors["dsn"] = _("Fourfold's own database cannot be a result source.")
        if not source.query.lower().startswith(("select", "with")) or ";" in source.query:
            errors["query"] = _("Write one read-only query starting with SELECT or WITH (no “;”).")
    if source.schedule and not source.is_pulled:
        errors["schedule"] = _("Only HTTP and SQL sources are pulled on a schedule.")
    if source.schedule in (Schedule.DAILY, Schedule.WEEKLY) and source.schedule_time is None:
        errors["schedule_time"] = _("Say at what time (UTC) it runs.")
    if errors:
        raise ValidationError(errors)
    source.full_clean()
    with transaction.atomic():
        source.save()
        source_schedule_sync(source=source)
    log.info("source_saved", source=source.pk, by=by.pk)
    return source


def source_schedule_sync(*, source: ResultSource) -> None:
    """Keep the source's beat entry (django-celery-beat) in step with its schedule."""
    if not source.schedule or not source.is_pulled:
        if source.periodic_task_id:
            task = source.periodic_task
            source.periodic_task = None
            source.save(update_fields=["periodic_task"])
            task.delete()
        return
    at = source.schedule_time or datetime.time(0, 0)
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute=str(at.minute),
        hour="*" if source.schedule == Schedule.HOURLY else str(at.hour),
        day_of_week="1" if source.schedule == Schedule.WEEKLY else "*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    task = source.periodic_task or PeriodicTask(name=f"pull source {source.pk}")
    task.task = "kpis.tasks.pull_source"
    task.crontab = crontab
    task.kwargs = json.dumps({"source_id": source.pk})
    task.enabled = not source.paused
    task.save()
    if source.periodic_task_id != task.pk:
        source.periodic_task = task
        source.save(update_fields=["periodic_task"])


def _is_own_database(dsn: str) -> bool:
    """A DSN pointing at the database Fourfold itself runs on (any user)."""
    from django.db import connection

    try:
        target = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return False
    own = connection.settings_dict
    same_host = (target.get("host") or "localhost") in {
        own.get("HOST") or "localhost",
        "127.0.0.1",
        "localhost",
        "::1",
    }
    same_port = str(target.get("port") or 5432) == str(own.get("PORT") or 5432)
    return (
        connection.vendor == "postgresql"
        and same_host
        and same_port
        and target.get("dbname") == own.get("NAME")
    )


def next_run(source: ResultSource) -> datetime.datetime | None:
    task = source.periodic_task
    if task is None or not task.enabled or task.crontab is None:
        return None
    now = timezone.now()
    remaining = task.crontab.schedule.remaining_estimate(task.last_run_at or now)
    due = max(now, (task.last_run_at or now) + remaining) + datetime.timedelta(seconds=30)
    return due.replace(second=0, microsecond=0)  # to the nearest minute


# --- Pulls ----------------------------------------------------------------------------


def pull_queue(
    *, source: ResultSource, by: AbstractBaseUser | None, trigger: str = "manual"
) -> Pull:
    """Queue a run; refused while one is already queued or running (runs never overlap)."""
    if not source.is_pulled:
        raise ValidationError(_("Only HTTP and SQL sources are pulled."))
    with transaction.atomic():
        busy = source.pulls.select_for_update().filter(
            status__in=[PullStatus.QUEUED, PullStatus.RUNNING]
        )
        if busy.exists():
            raise ValidationError(_("A pull of this source is already queued or running."))
        pull = Pull.objects.create(source=source, trigger=trigger, created_by=by)
        from kpis.tasks import run_pull

        enqueue_on_commit(
            run_pull,
            pull_id=pull.pk,
            on_failure=lambda error: _fail(
                pull, _("The job queue could not be reached, so nothing ran. Try again shortly.")
            ),
        )
    log.info("pull_queued", pull=pull.pk, source=source.pk, trigger=trigger)
    return pull


def _claim(pull_id: int, task_id: str) -> bool:
    """Take a queued pull, or resume one this very task was running when its worker died
    (acks_late + reject_on_worker_lost re-deliver the message; loading is an idempotent
    upsert, so running it again ends in the same state)."""
    mine = models.Q(status=PullStatus.QUEUED) | models.Q(status=PullStatus.RUNNING, task_id=task_id)
    try:
        with transaction.atomic():
            return bool(
                Pull.objects.filter(mine, pk=pull_id).update(
                    status=PullStatus.RUNNING,
                    started_at=timezone.now(),
                    attempts=F("attempts") + 1,
                    task_id=task_id,
                )
            )
    except IntegrityError:  # another pull of the source is running
        raise TransientPullError("another pull of this source is running") from None


def pull_execute(*, pull_id: int, final_attempt: bool, task_id: str = "") -> None:
    """Run a queued pull. Transient trouble puts it back in the queue and raises
    TransientPullError (the task retries with backoff) unless this is the last attempt."""
    try:
        claimed = _claim(pull_id, task_id or f"direct-{pull_id}")
    except TransientPullError:
        if final_attempt:
            _fail(Pull.objects.get(pk=pull_id), _("Another pull of this source kept running."))
            return
        raise
    if not claimed:
        return  # gone, finished, or taken by another worker: nothing to do
    pull = Pull.objects.select_related("source__program__organization").get(pk=pull_id)
    source = pull.source
    try:
        header, rows = _fetch(source)
        _check_and_load(pull, source, header, rows, source.mapping)
    except TransientPullError as error:
        if final_attempt:
            _fail(pull, _("Gave up after %(n)s attempts: %(e)s") % {"n": pull.attempts, "e": error})
            return
        Pull.objects.filter(pk=pull.pk).update(
            status=PullStatus.QUEUED,
            error=_("Attempt %(n)s failed: %(e)s; trying again.")
            % {"n": pull.attempts, "e": error},
        )
        raise
    except (PullFailed, ingest.FileProblem) as error:
        _fail(pull, str(error))
    except SoftTimeLimitExceeded:
        _fail(
            pull,
            _("The run took longer than its time limit and was stopped; nothing was loaded."),
        )
    except Exception as error:
        log.exception("pull_crashed", pull=pull.pk)
        _fail(
            pull,
            _("The pull failed unexpectedly (%(e)s); nothing was loaded.")
            % {"e": type(error).__name__},
        )


def _fail(pull: Pull, message: str) -> None:
    Pull.objects.filter(pk=pull.pk).update(
        status=PullStatus.FAILED, error=message, finished_at=timezone.now()
    )
    log.warning("pull_failed", pull=pull.pk, error=message)


def _fetch(source: ResultSource):
    if source.kind == SourceKind.HTTP:
        return _fetch_http(source)
    if source.kind == SourceKind.SQL:
        return _fetch_sql(source)
    raise PullFailed(_("This source is not pulled."))


def _read_until(response, deadline: float) -> bytes:
    """The whole answer (up to MAX_BYTES + 1 bytes), unless it is still coming at the
    deadline: then the run fails, and the source is free for the next one."""
    chunks, size = [], 0
    while size <= MAX_BYTES:
        if time.monotonic() > deadline:
            raise PullFailed(
                _(
                    "The source answered too slowly: no complete answer within %(s)s "
                    "seconds, so the run was stopped and nothing was loaded."
                )
                % {"s": settings.FOURFOLD_PULL_DEADLINE}
            )
        chunk = response.read1(64 * 1024)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _fetch_http(source: ResultSource):
    if not source.url.lower().startswith(("http://", "https://")):
        raise PullFailed(_("Only http:// and https:// addresses are pulled."))
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        source.url, headers={"Accept": "application/json, text/csv", **source.headers}
    )
    deadline = time.monotonic() + settings.FOURFOLD_PULL_DEADLINE
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 (the admin's URL)
            body = _read_until(response, deadline)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise TransientPullError(f"the server answered {error.code} {error.reason}") from None
        raise PullFailed(
            _("The server answered %(code)s %(reason)s. Check the URL and the headers (a token?).")
            % {"code": error.code, "reason": error.reason}
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise TransientPullError(
            f"cannot reach {source.url}: {getattr(error, 'reason', error)}"
        ) from None
    if len(body) > MAX_BYTES:
        raise PullFailed(_("The answer is larger than 50 MB."))
    if "json" in content_type or body.lstrip()[:1] in (b"[", b"{"):
        try:
            document = json.loads(body)
        except ValueError as error:
            raise PullFailed(_("The answer is not valid JSON: %(e)s") % {"e": error}) from None
        items = (
            document.get("results", document.get("data"))
            if isinstance(document, dict)
            else document
        )
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise PullFailed(_('The JSON is not a list of objects (or {"results": [...]}).'))
        header = sorted({k for item in items for k in item})
        return header, ((n, item) for n, item in enumerate(items, start=1))
    return ingest.read_csv(body)


def _fetch_sql(source: ResultSource):
    try:
        with (
            psycopg.connect(
                source.dsn,
                connect_timeout=10,
                options=READ_ONLY_OPTIONS,
            ) as conn,
            conn.cursor() as cursor,
        ):
            # Prepared: the server takes exactly one statement, so a ";" cannot smuggle in
            # a COMMIT and a writable transaction after the read-only one.
            cursor.execute(source.query, prepare=True)
            if cursor.description is None:
                raise PullFailed(_("The query returns no rows; write a SELECT."))
            header = [d.name for d in cursor.description]
            rows = cursor.fetchall()
    except psycopg.OperationalError as error:
        raise TransientPullError(
            f"the database is unreachable: {str(error).strip()[:200]}"
        ) from None
    except psycopg.Error as error:
        raise PullFailed(_("The query failed: %(e)s") % {"e": str(error).strip()[:300]}) from None
    return header, ((n, dict(zip(header, row, strict=True))) for n, row in enumerate(rows, start=1))


def _lookups(program: Program) -> tuple[dict, dict]:
    # Results belong to the open cycle's KPIs: a closed cycle is kept as it was.
    kpis = {
        name.lower(): ingest.KpiInfo(pk, unit)
        for pk, name, unit in Kpi.objects.filter(
            goal__cycle__program=program, goal__cycle__closed_at__isnull=True
        ).values_list("pk", "name", "unit")
    }
    segments = {
        name.lower(): pk for pk, name in program.organization.segments.values_list("pk", "name")
    }
    return kpis, segments


def _without_closed_kpis(rows, column: str | None, program: Program, kpis: dict, skipped: list):
    """The rows, less those for KPIs that only closed cycles have (a review dropped them):
    a feed that still sends such a KPI keeps loading the others. Counts them in skipped."""
    closed = {
        name.lower()
        for name in Kpi.objects.filter(
            goal__cycle__program=program, goal__cycle__closed_at__isnull=False
        ).values_list("name", flat=True)
    } - set(kpis)
    for line, row in rows:
        if closed and str(row.get(column) or "").strip().lower() in closed:
            skipped[0] += 1
            continue
        yield line, row


def _check_and_load(pull: Pull, source: ResultSource, header, rows, mapping) -> None:
    missing = [
        f"{field} → “{mapping.get(field) or '?'}”"
        for field in ingest.REQUIRED
        if mapping.get(field) not in header
    ]
    missing += [
        f"{field} → “{mapping[field]}”"
        for field in ingest.FIELDS
        if field not in ingest.REQUIRED and mapping.get(field) and mapping[field] not in header
    ]
    if missing:
        raise PullFailed(
            _("The mapping names columns the data does not have: %(m)s. Columns found: %(h)s.")
            % {"m": ", ".join(missing), "h": ", ".join(header) or "none"}
        )
    kpis, segments = _lookups(source.program)
    skipped = [0]
    rows = _without_closed_kpis(rows, mapping.get("kpi"), source.program, kpis, skipped)
    checked = ingest.check_rows(
        rows, mapping, kpis=kpis, segments=segments, today=timezone.localdate()
    )
    bad_rows = len({e.line for e in checked.errors})  # a row may be wrong in several ways
    if not checked.ok:
        Pull.objects.filter(pk=pull.pk).update(
            status=PullStatus.FAILED,
            finished_at=timezone.now(),
            rows_read=checked.rows_read,
            rejected=bad_rows,
            rejected_rows=[
                {"line": e.line, "column": e.column, "reason": e.reason}
                for e in checked.errors[: ingest.MAX_ERRORS_SHOWN]
            ],
            error=_("%(n)s of %(total)s rows are wrong; nothing was loaded.")
            % {"n": bad_rows, "total": checked.rows_read},
            payload=None,
        )
        return
    with transaction.atomic():
        counts = measurements_load(records=checked.records, source_id=source.pk)
        Pull.objects.filter(pk=pull.pk).update(
            status=PullStatus.SUCCEEDED,
            finished_at=timezone.now(),
            rows_read=checked.rows_read,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            skipped=skipped[0],
            rejected=0,
            rejected_rows=[],
            error="",
            payload=None,
        )
    from kpis.tasks import refresh_progress

    enqueue_on_commit(
        refresh_progress,
        program_id=source.program_id,
        on_failure=lambda error: log.warning("progress_refresh_not_queued", error=str(error)),
    )
    log.info(
        "pull_loaded",
        pull=pull.pk,
        rows=checked.rows_read,
        inserted=counts.inserted,
        updated=counts.updated,
    )


# --- Uploads --------------------------------------------------------------------------


def upload_receive(
    *, source: ResultSource, file_name: str, data: bytes, by: AbstractBaseUser
) -> tuple[Pull, list[str], list[dict]]:
    """Keep an uploaded file for its preview: header and the first rows."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 50 MB."))
    try:
        header, rows = ingest.read_file(file_name, data)
        preview = [
            row for _line, row in (next(rows, (0, None)) for _i in range(10)) if row is not None
        ]
    except ingest.FileProblem as error:
        raise ValidationError(str(error)) from None
    pull = Pull.objects.create(
        source=source, trigger="upload", file_name=file_name[:200], payload=data, created_by=by
    )
    return pull, header, preview


def upload_load(*, pull: Pull, mapping: dict[str, str], by: AbstractBaseUser) -> Pull:
    """Load a previewed upload with the chosen mapping, which the source keeps for next time."""
    source = pull.source
    source.mapping = {k: v for k, v in mapping.items() if v}
    source.save(update_fields=["mapping"])
    if not _claim(pull.pk, f"upload-{pull.pk}"):
        raise Busy

    def load() -> None:
        header, rows = ingest.read_file(pull.file_name, bytes(pull.payload or b""))
        _check_and_load(pull, source, header, rows, source.mapping)

    _run_safely(pull, load)
    pull.refresh_from_db()
    return pull


# --- Push API -------------------------------------------------------------------------


def token_create(*, program: Program, name: str, by: AbstractBaseUser) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its hash is kept."""
    secret = "ff_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        program=program,
        name=name.strip() or "API",
        prefix=secret[3:9],
        token_hash=hashlib.sha256(secret.encode()).hexdigest(),
        created_by=by,
    )
    return token, secret


def token_revoke(*, token: ApiToken, by: AbstractBaseUser) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_find(secret: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("program__organization")
        .filter(token_hash=hashlib.sha256(secret.encode()).hexdigest())
        .first()
    )
    return token


def _push_source(program: Program) -> ResultSource:
    source = ResultSource.objects.filter(program=program, kind=SourceKind.PUSH).first()
    if source is not None:
        return source
    name, n = "Push API", 1
    while program.sources.filter(name__iexact=name).exists():
        n += 1
        name = f"Push API {n}"
    return ResultSource.objects.create(
        program=program, kind=SourceKind.PUSH, name=name, mapping={f: f for f in ingest.FIELDS}
    )


class Busy(Exception):
    """Another load of the same source is running; try again in a moment."""


def push_load(*, token: ApiToken, items: list[dict]) -> Pull:
    """Load a pushed batch, all or nothing, through the program's push source. The pull
    records the outcome: succeeded with counts, or failed with the rejected items."""
    source = _push_source(token.program)
    pull = Pull.objects.create(source=source, trigger=f"push:{token.prefix}")
    if not _claim(pull.pk, f"push-{pull.pk}"):
        raise Busy
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    mapping = {f: f for f in ingest.FIELDS}
    rows = ((n, item) for n, item in enumerate(items, start=1))
    _run_safely(pull, lambda: _check_and_load(pull, source, list(ingest.FIELDS), rows, mapping))
    pull.refresh_from_db()
    return pull


def _run_safely(pull: Pull, work) -> None:
    """Run a load; whatever goes wrong, the run ends failed with a message, never stuck."""
    try:
        work()
    except (ingest.FileProblem, PullFailed) as error:
        _fail(pull, str(error))
    except Exception as error:
        log.exception("pull_crashed", pull=pull.pk)
        _fail(
            pull,
            _("The load failed unexpectedly (%(e)s); nothing was loaded.")
            % {"e": type(error).__name__},
        )
