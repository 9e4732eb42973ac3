"""Start-up reads the environment; unusable values stop it with a clear message."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = secrets.token_urlsafe(50)


def start(**env_vars) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(env_vars)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_check_deploy():
    result = start(DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS="fourfold.example.com")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_unusable_value_is_named_in_the_one_message():
    """Settings are read once and checked together (issue 19, item 7): a deployment with
    three mistakes learns of all three at its first start, not one per attempt."""
    result = start(DJANGO_DEBUG="maybe", FOURFOLD_LOAD_MAX_ROWS="lots", FOURFOLD_PUSH_RATE="fast")
    assert result.returncode != 0
    line = [line for line in result.stderr.splitlines() if "Fourfold cannot start" in line][-1]
    assert 'Environment variable "DJANGO_DEBUG" invalid: Not a valid boolean.' in line
    assert 'Environment variable "FOURFOLD_LOAD_MAX_ROWS" invalid: Not a valid integer.' in line
    assert 'Environment variable "FOURFOLD_PUSH_RATE" invalid: write a number of requests' in line
    assert "DJANGO_SECRET_KEY is not set" in line


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "short"}, "shorter than 50 characters"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "DJANGO_ALLOWED_HOSTS is empty"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"DJANGO_DEBUG": "true", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "true", "DJANGO_LOG_FORMAT": "xml"}, "DJANGO_LOG_FORMAT"),
        ({"DJANGO_DEBUG": "true", "EMAIL_URL": "carrier-pigeon://x"}, "EMAIL_URL"),
    ],
    ids=[
        "no-secret",
        "short-secret",
        "no-hosts",
        "bad-bool",
        "bad-database-url",
        "bad-log-format",
        "bad-email-url",
    ],
)
def test_unusable_settings_stop_start_up_with_a_message(env, message):
    result = start(**env)
    assert result.returncode != 0
    assert "Fourfold cannot start" in result.stderr
    assert message in result.stderr


def test_debug_runs_on_the_embedded_defaults():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s;"
            " print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))
            },
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_the_base_url_of_links_in_e_mails_is_the_one_given():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_DEBUG="true", FOURFOLD_BASE_URL="https://fourfold.example.com:8443/")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.FOURFOLD_BASE_URL)",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://fourfold.example.com:8443"
