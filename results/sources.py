"""Writes of question 4's data side: result sources, their pulls, uploads and pushes.

Every way in ends in `_check_and_load`: read the rows, check every one (results.ingest),
and load all of them in one transaction, or none and say which rows are wrong.
"""

import contextlib
import datetime
import hashlib
import itertools
import json
import secrets
import time
import urllib.parse

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

from kpis.models import Kpi
from programs.jobs import ACTIVE, JobStatus, enqueue_on_commit, job_claim, job_fail
from programs.limits import job_memory_limit
from programs.models import Membership, Program, Role
from results import egress, ingest
from results.loading import measurements_load
from results.models import ApiToken, Pull, ResultSource, Schedule, SourceKind, UploadStage
from results.signals import measurements_loaded

log = structlog.get_logger(__name__)

HTTP_TIMEOUT = 20  # seconds
SQL_TIMEOUT_MS = 60_000
MAX_BYTES = 50 * 1024 * 1024
# A queued run waits for its job at most this long (retries wait 10 minutes at most).
QUEUED_LIFE = datetime.timedelta(hours=2)
READ_ONLY_OPTIONS = f"-c default_transaction_read_only=on -c statement_timeout={SQL_TIMEOUT_MS}"


class TransientPullError(Exception):
    """Worth trying again later: the network, a 5xx answer, a busy database."""


class PullFailed(Exception):
    """Not worth trying again: the message tells a person what to fix."""


# --- Sources --------------------------------------------------------------------------


def source_save(
    *, program: Program, by: AbstractBaseUser, source: ResultSource | None = None, **values
) -> ResultSource:
    """Create or change a source. Secrets follow the rules of "Deploying safely" in the
    README: only an organization admin enters them (header values, the database password),
    and they stay with the server they were entered for: a URL that moves to another
    origin drops the stored header values, another database server, database or user
    drops the password. Every change is kept in the source's history."""
    is_new = source is None or source.pk is None
    source = source or ResultSource(program=program)
    # As stored: a bound form has already written its values onto the instance.
    stored = source if is_new else ResultSource.objects.get(pk=source.pk)
    before = _secrets(stored)
    old_origin = egress_origin(stored.url) if stored.url else None
    old_login = (stored.db_host, stored.db_port, stored.db_name, stored.db_user)
    source.headers, source.db_password = dict(stored.headers), stored.db_password
    headers = values.pop("headers", None)
    password = values.pop("db_password", "")
    for name, value in values.items():
        setattr(source, name, value)
    errors: dict[str, list[str]] = {}
    may_set_secrets = _is_admin(by, program)
    moved = not is_new and old_origin is not None and egress_origin(source.url) != old_origin
    if headers is not None:
        entered = {k: v for k, v in headers.items() if v}
        if entered and not may_set_secrets:
            errors.setdefault("header_names", []).append(
                _("Only an organization admin can enter header values.")
            )
        for name, value in headers.items():
            if problem := egress.header_problem(name, value):
                errors.setdefault("header_names", []).append(problem)
        # A header written without a value keeps the stored secret, unless the URL moved.
        source.headers = {
            k: (v or ("" if moved else source.headers.get(k, ""))) for k, v in headers.items()
        }
    elif moved:
        source.headers = dict.fromkeys(source.headers, "")
    if password:
        if may_set_secrets:
            source.db_password = password
        else:
            errors.setdefault("db_password", []).append(
                _("Only an organization admin can enter the database password.")
            )
    elif not is_new and (source.db_host, source.db_port, source.db_name, source.db_user) != (
        old_login
    ):
        source.db_password = ""  # entered for another server or login
    if source.kind != SourceKind.HTTP:
        source.headers = {}
    if source.kind != SourceKind.SQL:
        source.db_password = ""
    if source.kind == SourceKind.HTTP and not source.url:
        errors.setdefault("url", []).append(_("An HTTP source needs the URL to pull from."))
    if source.kind == SourceKind.SQL:
        source.query = source.query.strip().rstrip(";").strip()
        source.db_host = source.db_host.strip()
        for field_name, message in (
            ("db_host", _("Name the database server (its host name or address).")),
            ("db_name", _("Name the database.")),
            ("db_user", _("Name the database user (a read-only role made for Fourfold).")),
        ):
            if not getattr(source, field_name).strip():
                errors.setdefault(field_name, []).append(message)
        if "," in source.db_host or source.db_host.startswith("/"):
            errors.setdefault("db_host", []).append(
                _("Name one server by host name or address (no lists, no socket folders).")
            )
        elif source.db_host and source.db_name and _is_own_database(source):
            errors.setdefault("db_host", []).append(
                _("Fourfold's own database cannot be a result source.")
            )
        if not source.query.lower().startswith(("select", "with")) or ";" in source.query:
            errors.setdefault("query", []).append(
                _("Write one read-only query starting with SELECT or WITH (no “;”).")
            )
    if source.schedule and not source.is_pulled:
        errors.setdefault("schedule", []).append(
            _("Only HTTP and SQL sources are pulled on a schedule.")
        )
    if source.schedule in (Schedule.DAILY, Schedule.WEEKLY) and source.schedule_time is None:
        errors.setdefault("schedule_time", []).append(_("Say at what time (UTC) it runs."))
    if errors:
        raise ValidationError(errors)
    if _secrets(source) != before:
        source.secrets_changed_at = timezone.now()
    source.updated_by = by
    source._history_user = by
    source.full_clean()
    with transaction.atomic():
        source.save()
        source_schedule_sync(source=source)
    log.info("source_saved", source=source.pk, by=by.pk)
    return source


def source_secrets(source: ResultSource) -> set[str]:
    """What secrets the source holds, by name ("Authorization", "password"), for a page to
    say which a save dropped."""
    return {name for name, value in _secrets(source) if value}


def _secrets(source: ResultSource) -> tuple[tuple[str, str], ...]:
    return (*sorted(source.headers.items()), ("password", source.db_password))


def _is_admin(user: AbstractBaseUser, program: Program) -> bool:
    return Membership.objects.filter(
        user=user, organization_id=program.organization_id, role=Role.ADMIN
    ).exists()


def egress_origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and port: what a stored header value was entered for."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").rstrip("."), port


def source_schedule_sync(*, source: ResultSource) -> None:
    """Keep the source's beat entry (django-celery-beat) in step with its schedule."""
    if not source.schedule or not source.is_pulled:
        if source.periodic_task_id:
            task = source.periodic_task
            source.periodic_task = None
            # update(), not save(): the beat entry is bookkeeping, not a change of the
            # source for its history.
            ResultSource.objects.filter(pk=source.pk).update(periodic_task=None)
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
        ResultSource.objects.filter(pk=source.pk).update(periodic_task=task)


def egress_policy() -> egress.Policy:
    return egress.Policy.from_entries(settings.FOURFOLD_SOURCE_ALLOWED_HOSTS)


def _own_database() -> egress.OwnDatabase | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    own = connection.settings_dict
    return egress.OwnDatabase(
        host=str(own.get("HOST") or ""), port=int(own.get("PORT") or 5432), name=own["NAME"]
    )


def _is_own_database(source: ResultSource) -> bool:
    """Whether any address the source's server resolves to, on its port, with its database,
    is Fourfold's own database (a name that does not resolve is checked when it pulls)."""
    own = _own_database()
    if own is None:
        return False
    try:
        addresses = egress.resolve(source.db_host, source.db_port)
    except egress.Unreachable:
        return False
    return any(
        egress.is_own_database(own, address=a, port=source.db_port, dbname=source.db_name)
        for a in addresses
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
        # A run that showed its columns and still waits for their mapping is replaced by
        # the new one (which shows them again if the source has no mapping yet).
        source.pulls.filter(status=JobStatus.QUEUED, stage=UploadStage.MAPPING).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            preview=None,
            error=_("Replaced by a later run before its columns were mapped."),
        )
        busy = source.pulls.select_for_update().filter(status__in=ACTIVE)
        if busy.exists():
            raise ValidationError(_("A pull of this source is already queued or running."))
        pull = Pull.objects.create(source=source, trigger=trigger, created_by=by)
        from results.tasks import run_pull

        enqueue_on_commit(
            run_pull,
            pull_id=pull.pk,
            on_failure=lambda error: _fail(
                pull, _("The job queue could not be reached, so nothing ran. Try again shortly.")
            ),
        )
    log.info("pull_queued", pull=pull.pk, source=source.pk, trigger=trigger)
    return pull


def _claim(pull_id: int, task_id: str, lease: datetime.timedelta) -> bool:
    """Take a queued pull, or resume one this very task was running when its worker died
    (acks_late + reject_on_worker_lost re-deliver the message; loading is an idempotent
    upsert, so running it again ends in the same state). The run holds its source until
    its lease ends; a run whose lease ended (its worker or web process died) no longer
    holds it: it is marked failed here, or by beat (pulls_expire)."""
    # An upload is taken once its mapping is chosen, never while it is read or waits.
    mine = models.Q(status=JobStatus.QUEUED) & ~models.Q(
        stage__in=[UploadStage.READING, UploadStage.MAPPING]
    ) | models.Q(status=JobStatus.RUNNING, task_id=task_id)

    def take() -> bool:
        now = timezone.now()
        with transaction.atomic():
            return job_claim(
                Pull.objects,
                pk=pull_id,
                mine=mine,
                started_at=now,
                lease_expires_at=now + lease,
                attempts=F("attempts") + 1,
                task_id=task_id,
            )

    try:
        return take()
    except IntegrityError:  # another run of the source holds it
        source_id = Pull.objects.filter(pk=pull_id).values_list("source_id", flat=True).first()
        if source_id is None or not pulls_expire(source_id=source_id):
            raise TransientPullError("another pull of this source is running") from None
    try:
        return take()
    except IntegrityError:
        raise TransientPullError("another pull of this source is running") from None


def worker_lease() -> datetime.timedelta:
    """A job's run ends by its hard time limit; a minute more covers the way there."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def pulls_expire(*, source_id: int | None = None) -> int:
    """Free sources from runs that can no longer finish: running past their lease (the
    worker or web process died), queued far longer than any retry waits (the job was
    lost), or an upload waiting for its mapping longer than FOURFOLD_UPLOAD_PREVIEW_HOURS
    (its file is dropped). Returns how many runs it ended. Safe to run twice."""
    now = timezone.now()
    runs = Pull.objects.all() if source_id is None else Pull.objects.filter(source_id=source_id)
    ended = runs.filter(status=JobStatus.RUNNING, lease_expires_at__lt=now).update(
        status=JobStatus.FAILED,
        finished_at=now,
        payload=None,
        error=_(
            "The run stopped without finishing (its worker or web process ended) and "
            "was given up when its time ran out; nothing of it was loaded."
        ),
    )
    waited = runs.filter(
        status=JobStatus.QUEUED, stage=UploadStage.MAPPING, queued_at__lt=now - _preview_life()
    )
    for kinds, message in (
        (
            [SourceKind.UPLOAD],
            _(
                "The upload waited for its column mapping too long and was dropped; upload "
                "it again."
            ),
        ),
        (
            [SourceKind.HTTP, SourceKind.SQL],
            _(
                "The run waited for its column mapping too long and was dropped; press Test "
                "to see the columns again."
            ),
        ),
    ):
        ended += waited.filter(source__kind__in=kinds).update(
            status=JobStatus.FAILED, finished_at=now, payload=None, preview=None, error=message
        )
    ended += (
        runs.filter(status=JobStatus.QUEUED, queued_at__lt=now - QUEUED_LIFE)
        .exclude(stage=UploadStage.MAPPING)
        .update(
            status=JobStatus.FAILED,
            finished_at=now,
            payload=None,
            error=_("The run never started (its job was lost); nothing was loaded. Try again."),
        )
    )
    if ended:
        log.warning("pulls_expired", count=ended, source=source_id)
    return ended


def _preview_life() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.FOURFOLD_UPLOAD_PREVIEW_HOURS)


def pull_execute(*, pull_id: int, final_attempt: bool, task_id: str = "") -> None:
    """Run a queued pull. Transient trouble puts it back in the queue and raises
    TransientPullError (the task retries with backoff) unless this is the last attempt."""
    try:
        claimed = _claim(pull_id, task_id or f"direct-{pull_id}", worker_lease())
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
        with _fetch(pull) as (header, rows):
            if _shows_columns(pull, source, header):
                _await_mapping(pull, header, rows)
                return
            _check_and_load(pull, source, header, rows, source.mapping)
    except TransientPullError as error:
        if final_attempt:
            _fail(pull, _("Gave up after %(n)s attempts: %(e)s") % {"n": pull.attempts, "e": error})
            return
        Pull.objects.filter(pk=pull.pk).update(
            status=JobStatus.QUEUED,
            lease_expires_at=None,
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
    except MemoryError:
        _fail(pull, _("The run needed more memory than a job may use; nothing was loaded."))
    except Exception as error:
        log.exception("pull_crashed", pull=pull.pk)
        _fail(
            pull,
            _("The pull failed unexpectedly (%(e)s); nothing was loaded.")
            % {"e": type(error).__name__},
        )


def _mapping_fits(mapping: dict, header: list[str]) -> bool:
    return all(mapping.get(f) in header for f in ingest.REQUIRED) and all(
        column in header for column in mapping.values() if column
    )


def _shows_columns(pull: Pull, source: ResultSource, header: list[str]) -> bool:
    """Whether an HTTP or SQL run stops at its columns for a person to map them: a *Test*,
    a source without a mapping yet, or a pull by hand whose kept mapping no longer fits
    (a scheduled one fails then, saying so). The load after the mapping never stops."""
    if not source.is_pulled or pull.stage == UploadStage.LOADING:
        return False
    if pull.trigger == "test" or not source.mapping:
        return True
    return pull.trigger == "manual" and not _mapping_fits(source.mapping, header)


def _await_mapping(pull: Pull, header: list[str], rows) -> None:
    """Keep the columns found and the first rows; the run waits for its mapping (the same
    form an upload has) and frees its source meanwhile."""
    first = [row for _line, row in itertools.islice(rows, PREVIEW_ROWS)]
    preview = {"header": header, "rows": [[_cell(row.get(h)) for h in header] for row in first]}
    Pull.objects.filter(pk=pull.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.QUEUED,
        stage=UploadStage.MAPPING,
        preview=preview,
        lease_expires_at=None,
        error="",
    )
    log.info("pull_awaits_mapping", pull=pull.pk, columns=len(header))


def _fail(pull: Pull, message: str) -> None:
    job_fail(Pull.objects, pk=pull.pk, error=message, finished_at=timezone.now(), payload=None)
    log.warning("pull_failed", pull=pull.pk, error=message)


@contextlib.contextmanager
def _fetch(pull: Pull):
    """Header and rows of the run's data, read within the caps (rows, bytes, time):
    the uploaded file, or what the source answers."""
    source = pull.source
    if source.kind == SourceKind.UPLOAD:
        with job_memory_limit():
            yield ingest.read_file(
                pull.file_name, bytes(pull.payload or b""), delimiter=pull.csv_delimiter or None
            )
    elif source.kind == SourceKind.HTTP:
        yield _fetch_http(source)
    elif source.kind == SourceKind.SQL:
        with _fetch_sql(source) as fetched:
            yield fetched
    else:
        raise PullFailed(_("This source is not pulled."))


def _fetch_http(source: ResultSource):
    deadline = time.monotonic() + settings.FOURFOLD_PULL_DEADLINE
    try:
        answer = egress.http_get(
            source.url,
            headers={name: value for name, value in source.headers.items() if value},
            policy=egress_policy(),
            timeout=HTTP_TIMEOUT,
            deadline=deadline,
            max_bytes=MAX_BYTES,
        )
    except egress.Refused as refused:
        raise PullFailed(str(refused)) from None
    except egress.Unreachable as error:
        raise TransientPullError(str(error)) from None
    except egress.TooLarge:
        raise PullFailed(
            _("The answer is larger than %(mb)s MB; nothing was loaded.")
            % {"mb": MAX_BYTES // 2**20}
        ) from None
    except egress.TooSlow:
        raise PullFailed(
            _(
                "The source answered too slowly: no complete answer within %(s)s "
                "seconds, so the run was stopped and nothing was loaded."
            )
            % {"s": settings.FOURFOLD_PULL_DEADLINE}
        ) from None
    if answer.status >= 500:
        raise TransientPullError(f"the server answered {answer.status}")
    if answer.status >= 300:
        raise PullFailed(
            _("The server answered %(code)s %(reason)s. Check the URL and the headers (a token?).")
            % {"code": answer.status, "reason": egress.status_phrase(answer.status)}
        )
    body = answer.body
    if "json" in answer.content_type or body.lstrip()[:1] in (b"[", b"{"):
        try:
            document = json.loads(body)
        except ValueError as error:
            raise PullFailed(
                _("The answer is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": getattr(error, "lineno", "?"), "column": getattr(error, "colno", "?")}
            ) from None
        items = (
            document.get("results", document.get("data"))
            if isinstance(document, dict)
            else document
        )
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise PullFailed(_('The JSON is not a list of objects (or {"results": [...]}).'))
        header = sorted({str(k) for item in items for k in item})
        return header, ((n, item) for n, item in enumerate(items, start=1))
    return ingest.read_csv(body, delimiter=source.csv_delimiter or None)


# What a failed query is called on the run page, by SQLSTATE class: the server's own
# words can carry data (a CAST of a secret into a number fails quoting the secret), so
# they go to the worker's log only.
SQL_FAILURES = {
    "42": _(
        "The query is not valid here: it names a table, column or function the "
        "database does not have, or the role may not read it"
    ),
    "22": _("A value in the data could not be computed or converted"),
    "57": _("The query was stopped (it ran past its time limit, or the server shut down)"),
    "53": _("The database server ran out of resources"),
    "25": _("The query tried to write; sources only read"),
    "0A": _("The query uses a feature the database does not support"),
}


@contextlib.contextmanager
def _fetch_sql(source: ResultSource):
    """Rows of the source's query, streamed through a server-side cursor (never all at
    once), on a connection that names every part itself (egress.pg_connect_kwargs)."""
    try:
        address = egress.checked_address(source.db_host, source.db_port, egress_policy())
    except egress.Refused as refused:
        raise PullFailed(str(refused)) from None
    except egress.Unreachable as error:
        raise TransientPullError(str(error)) from None
    own = _own_database()
    if own and egress.is_own_database(
        own, address=address, port=source.db_port, dbname=source.db_name
    ):
        raise PullFailed(_("Fourfold's own database cannot be a result source."))
    kwargs = egress.pg_connect_kwargs(
        host=source.db_host,
        address=address,
        port=source.db_port,
        dbname=source.db_name,
        user=source.db_user,
        password=source.db_password,
        connect_timeout=10,
        options=READ_ONLY_OPTIONS,
    )
    try:
        conn = psycopg.connect(**kwargs)
    except psycopg.OperationalError as error:
        raise _connect_failure(source, error) from None
    try:
        conn.read_only = True
        with conn.cursor(name="fourfold_pull") as cursor:
            try:
                # One statement (source_save refuses a ";"), in a read-only transaction of
                # a session whose transactions are read-only by default.
                cursor.execute(source.query)
                if cursor.description is None:
                    raise PullFailed(_("The query returns no rows; write a SELECT."))
                header = [d.name for d in cursor.description]
                yield header, _streamed(cursor, header)
            except psycopg.Error as error:
                log.warning(
                    "sql_source_failed",
                    source=source.pk,
                    sqlstate=error.sqlstate,
                    detail=str(error)[:2000],
                )
                code = error.sqlstate or ""
                reason = SQL_FAILURES.get(code[:2], _("The query failed"))
                raise PullFailed(
                    _(
                        "%(reason)s (SQLSTATE %(code)s); nothing was loaded. The details are "
                        "in the worker's log."
                    )
                    % {"reason": reason, "code": code or "?"}
                ) from None
    finally:
        conn.close()


def _connect_failure(source: ResultSource, error: psycopg.OperationalError) -> Exception:
    """A fixed message for the kind of failure; the server's words go to the log only."""
    text = str(error)
    log.warning("sql_source_connect_failed", source=source.pk, detail=text[:2000])
    code = error.sqlstate or ""
    if "require_auth" in text or "authentication method requirement" in text:
        return PullFailed(
            _(
                "The database let the user in without checking the source's password "
                "(trust, peer or the worker's own identity). Fourfold only logs in with a "
                "password: give the role one and require it (scram-sha-256)."
            )
        )
    if code.startswith("28") or "password authentication failed" in text:
        return PullFailed(_("The database refused the user or password."))
    if code == "3D000" or "does not exist" in text:
        return PullFailed(_("The database refused the login: no such database or user."))
    return TransientPullError(f"the database at {source.db_host}:{source.db_port} did not answer")


def _streamed(cursor, header: list[str]):
    """Numbered rows, stopping the run past MAX_LOAD_ROWS rows or MAX_BYTES of text."""
    size = 0
    line = 0
    while batch := cursor.fetchmany(2000):
        for row in batch:
            line += 1
            if line > settings.FOURFOLD_LOAD_MAX_ROWS:
                raise PullFailed(
                    _(
                        "The query returns more than %(n)s rows; narrow it (e.g. the last "
                        "days only). Nothing was loaded."
                    )
                    % {"n": f"{settings.FOURFOLD_LOAD_MAX_ROWS:,}"}
                )
            size += sum(len(str(v)) for v in row if v is not None)
            if size > MAX_BYTES:
                raise PullFailed(
                    _("The query returns more than %(mb)s MB; narrow it. Nothing was loaded.")
                    % {"mb": MAX_BYTES // 2**20}
                )
            yield line, dict(zip(header, row, strict=True))


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
        message = _(
            "The mapping names columns the data does not have: %(m)s. Columns found: %(h)s."
        ) % {"m": ", ".join(missing), "h": ", ".join(header) or "none"}
        if source.is_pulled:
            message += " " + _("Press Test on the source's page to map them again.")
        raise PullFailed(message)
    kpis, segments = _lookups(source.program)
    skipped = [0]
    rows = _without_closed_kpis(
        _counted(rows, pull), mapping.get("kpi"), source.program, kpis, skipped
    )
    checked = ingest.check_rows(
        rows,
        mapping,
        kpis=kpis,
        segments=segments,
        today=timezone.localdate(),
        decimal=_decimal_of(pull),
    )
    bad_rows = len({e.line for e in checked.errors})  # a row may be wrong in several ways
    if not checked.ok:
        Pull.objects.filter(pk=pull.pk).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            rows_read=checked.rows_read,
            rejected=bad_rows,
            rejected_rows=[
                {"line": e.line, "column": e.column, "reason": e.reason}
                | ({"message": e.message.as_json()} if e.message else {})
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
            status=JobStatus.SUCCEEDED,
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
    measurements_loaded.send(sender=ResultSource, program_id=source.program_id)
    log.info(
        "pull_loaded",
        pull=pull.pk,
        rows=checked.rows_read,
        inserted=counts.inserted,
        updated=counts.updated,
    )


PROGRESS_EVERY = 10_000  # rows between two updates of a run's progress


def _counted(rows, pull: Pull):
    """The rows, at most FOURFOLD_LOAD_MAX_ROWS of them; the run's page sees how many were
    read so far."""
    limit = settings.FOURFOLD_LOAD_MAX_ROWS
    for n, row in enumerate(rows, start=1):
        if n > limit:
            raise ingest.FileProblem(
                _("There are more than %(n)s rows; load them in parts. Nothing was loaded.")
                % {"n": f"{limit:,}"}
            )
        if n % PROGRESS_EVERY == 0:
            Pull.objects.filter(pk=pull.pk).update(rows_read=n)
        yield row


# --- Uploads --------------------------------------------------------------------------


def _decimal_of(pull: Pull) -> str:
    """The decimal separator of the run's text numbers: the upload's, else its source's
    (JSON and SQL answers carry numbers as numbers; their text is read the same way)."""
    return pull.csv_decimal or pull.source.csv_format()[1]


def upload_receive(
    *,
    source: ResultSource,
    file_name: str,
    data: bytes,
    by: AbstractBaseUser,
    delimiter: str = "",
    decimal: str = "",
) -> Pull:
    """Keep an uploaded file and queue the job that reads its header and first rows for
    the preview: the request never parses the file (a hostile workbook could hold it for
    minutes), the job does, within its time and memory limits. `delimiter` and `decimal`
    say how a CSV file is written: empty, the source's own, else the delimiter is guessed
    from the file and the decimal separator is the organization's."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 50 MB."))
    if not data.strip():
        raise ValidationError(_("The file is empty."))
    with transaction.atomic():
        pull = Pull.objects.create(
            source=source,
            trigger="upload",
            stage=UploadStage.READING,
            file_name=file_name[:200],
            payload=data,
            created_by=by,
            csv_delimiter=delimiter or source.csv_delimiter,
            csv_decimal=decimal or source.csv_format()[1],
        )
        from results.tasks import read_upload

        enqueue_on_commit(read_upload, pull_id=pull.pk, on_failure=_not_queued(pull))
    return pull


def upload_read(*, pull_id: int) -> None:
    """The job's work: header and first rows into the run's preview, or the run fails
    with what is wrong with the file. A run no longer being read is left alone."""
    pull = Pull.objects.filter(
        pk=pull_id, status=JobStatus.QUEUED, stage=UploadStage.READING
    ).first()
    if pull is None:
        return
    try:
        with job_memory_limit():
            header, rows = ingest.read_file(
                pull.file_name, bytes(pull.payload or b""), delimiter=pull.csv_delimiter or None
            )
            first = [row for _line, row in itertools.islice(rows, PREVIEW_ROWS)]
    except ingest.FileProblem as problem:
        _fail(pull, str(problem))
        return
    except SoftTimeLimitExceeded:
        _fail(pull, _("Reading the file took longer than its time limit; nothing was loaded."))
        return
    except MemoryError:
        _fail(pull, _("Reading the file needed more memory than a job may use."))
        return
    preview = {"header": header, "rows": [[_cell(row.get(h)) for h in header] for row in first]}
    Pull.objects.filter(pk=pull.pk, stage=UploadStage.READING).update(
        stage=UploadStage.MAPPING, preview=preview
    )


PREVIEW_ROWS = 10


def _cell(value) -> str:
    return "" if value is None else str(value)[:200]


def upload_load(*, pull: Pull, mapping: dict[str, str], by: AbstractBaseUser) -> Pull:
    """Queue the load of a previewed upload, or of an HTTP or SQL run that showed its
    columns, with the chosen mapping, which the source keeps for the next file and for its
    scheduled pulls (an HTTP or SQL run fetches its data again to load it)."""
    source = pull.source
    with transaction.atomic():
        if not Pull.objects.filter(
            pk=pull.pk, status=JobStatus.QUEUED, stage=UploadStage.MAPPING
        ).update(stage=UploadStage.LOADING, preview=None):
            raise ValidationError(_("This upload is no longer waiting for its mapping."))
        source.mapping = {k: v for k, v in mapping.items() if v}
        source.save(update_fields=["mapping"])
        from results.tasks import run_pull

        enqueue_on_commit(run_pull, pull_id=pull.pk, on_failure=_not_queued(pull))
    log.info("upload_queued", pull=pull.pk, source=source.pk, by=by.pk)
    pull.refresh_from_db()
    return pull


def _not_queued(pull: Pull):
    return lambda error: _fail(
        pull, _("The job queue could not be reached, so nothing ran. Try again shortly.")
    )


# --- Push API -------------------------------------------------------------------------


def token_create(
    *,
    program: Program,
    name: str,
    by: AbstractBaseUser,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its hash is kept. With
    `expires_at` the API refuses it from that moment on."""
    secret = "ff_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        program=program,
        name=name.strip() or "API",
        prefix=secret[3:9],
        token_hash=hashlib.sha256(secret.encode()).hexdigest(),
        created_by=by,
        expires_at=expires_at,
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
    # A push loads while its request waits (it answers with the counts): a web process
    # that dies on the way leaves a run that frees the push source when its lease ends.
    lease = datetime.timedelta(seconds=settings.FOURFOLD_PUSH_LEASE_SECONDS)
    if not _claim(pull.pk, f"push-{pull.pk}", lease):
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
