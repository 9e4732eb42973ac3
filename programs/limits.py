"""Limits that jobs reading files put on themselves, shared by every app that reads one."""

import contextlib

from django.conf import settings


@contextlib.contextmanager
def job_memory_limit():
    """While reading or loading a file, the process may grow by at most
    FOURFOLD_JOB_MEMORY_MB: past that an allocation fails (MemoryError) instead of the
    machine swapping. Linux's address-space limit, raised back afterwards."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * resource.getpagesize()
    except (ImportError, OSError, ValueError):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = in_use + settings.FOURFOLD_JOB_MEMORY_MB * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
