"""Fourfold speaks English, Danish, Slovenian and Dutch (issue 20, item 1).

The catalogs are complete and current: no entry untranslated or fuzzy, every placeholder
kept, the compiled catalogs are those of the sources, and `makemessages` finds no string
the catalogs lack. Every GET page of the access matrix, in each language, says no common
English word and has the right `<html lang>`."""

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import client_for, shown
from tests.test_access_matrix import MATRIX, ROLES

ROOT = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([a-zA-Z_0-9]+\)[sdfr]|%[sdfr]|\{[a-zA-Z_0-9]*\}|<[^>]+>")


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def marks(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(language):
    po = catalog(language)
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders_and_tags(language):
    po = catalog(language)
    nplurals = int(re.search(r"nplurals=(\d)", po.metadata["Plural-Forms"]).group(1))
    wrong = []
    for entry in po:
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(n, "") for n in range(nplurals)]
            if not all(forms) or marks(forms[-1]) != marks(entry.msgid_plural):
                wrong.append((entry.msgid, forms))
        elif marks(entry.msgstr) != marks(entry.msgid):
            wrong.append((entry.msgid, entry.msgstr))
    assert wrong == []


def test_slovenian_has_its_four_plural_forms():
    po = catalog("sl")
    assert po.metadata["Plural-Forms"].startswith("nplurals=4;")
    plurals = [e for e in po if e.msgid_plural]
    assert plurals and all(len(e.msgstr_plural) == 4 for e in plurals)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_source_catalog(language):
    """locale/*/django.mo is committed (a fresh machine needs no gettext tools): it must
    hold exactly what django.po says (`manage.py compilemessages` after each change)."""
    po = catalog(language)
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))

    def entries(file):
        return {
            (e.msgctxt, e.msgid): (e.msgstr, dict(sorted(e.msgstr_plural.items())))
            for e in file
            if e.msgid and not e.obsolete and "fuzzy" not in e.flags
        }

    assert entries(mo) == entries(po)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext")
def test_makemessages_finds_no_string_the_catalogs_lack(tmp_path):
    """Every {% translate %} and gettext string of the code is in the catalogs: running
    makemessages on a copy of the code changes no catalog."""
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "var", "node_modules", "__pycache__", "*.mo", ".git")
    shutil.copytree(ROOT, copy, ignore=ignore, symlinks=True)
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "-v", "0"]
    command += [f"-l{language}" for language in LANGUAGES]
    command += ["--ignore=.venv", "--ignore=tests", "--ignore=bench", "--ignore=scripts"]
    env = {"DJANGO_DEBUG": "true", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    for language in LANGUAGES:
        before = {(e.msgctxt, e.msgid, e.msgid_plural) for e in catalog(language)}
        after = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        assert {(e.msgctxt, e.msgid, e.msgid_plural) for e in after} == before
        assert [e.msgid for e in after if not e.translated() or e.fuzzy] == []


# --- Pages in each language ------------------------------------------------------------

# Words of the interface that no Danish, Slovenian or Dutch page writes: a page that shows
# one of them still has English on it. Whole words, case as written. (Not "is", "of", "we"
# (Dutch), "do" (Slovenian), "Log" (Danish "Log ud"), "Download", "Upload" or "Back" (Danish
# "backup", Dutch "back-up").)
ENGLISH_WORDS = [
    "Save",
    "Delete",
    "Cancel",
    "Edit",
    "Add",
    "Remove",
    "Members",
    "Settings",
    "Programs",
    "Owner",
    "Target",
    "Baseline",
    "Goals",
    "Goal",
    "Review",
    "Results",
    "Measurements",
    "Search",
    "Show",
    "Close",
    "Yes",
    "None",
    "Name",
    "Date",
    "From",
    "Week",
    "Month",
    "Year",
    "Today",
    "Updated",
    "Created",
    "Choose",
    "Export",
    "Planned",
    "Where",
    "How",
    "the",
    "and",
    "with",
    "yet",
    "not",
    "this",
    "are",
]
WORD = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")\b")
# What the test's world typed in English: names are the users', not the interface's.
TYPED = (
    "Acme Retail",
    "Globex shop",
    "Globex",
    "Web shop NL",
    "Web shop",
    "Convert more visitors",
    "Conversion rate",
    "No control group",
    "Returning visitors",
    "Analytics",
    "newcomer@example.com",
)
HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
ATTRIBUTE = re.compile(r'\b(?:aria-label|placeholder|title|alt)="([^"]*)"')


def organization_data() -> list[str]:
    """What the organization's rows say: its dimensions with their rubrics, departments and
    channels were made from the defaults in English (a demo seeds them in its language),
    its gaps were written in the language of the person who listed them."""
    from assessments.models import Dimension, Gap
    from initiatives.models import Channel, Department

    texts = [
        text
        for row in Dimension.objects.values_list("name", "rubric_low", "rubric_high")
        for text in row
    ]
    texts += Department.objects.values_list("name", flat=True)
    texts += Channel.objects.values_list("name", flat=True)
    texts += Gap.objects.values_list("title", flat=True)  # written when the list was made
    return sorted(texts, key=len, reverse=True)


def visible_words(page: str, typed: list[str] = ()) -> str:
    """What a person reads on a page: its text and its labels, without what users typed."""
    page = HIDDEN.sub(" ", page)
    text = " ".join([TAG.sub(" ", page), *ATTRIBUTE.findall(page)])
    text = html.unescape(text)
    for words in [*typed, *TYPED]:
        text = text.replace(words, " ")
    return " ".join(text.split())


def english_on(page: str) -> list[str]:
    """Each English word the page shows, in its context: "…Download backup…"."""
    text = visible_words(page, organization_data())
    return sorted({f"…{text[max(0, m.start() - 30) : m.end() + 30]}…" for m in WORD.finditer(text)})


PAGES = [
    (name, next(who for who in ROLES if who in rule.allowed))
    for name, rule in MATRIX.items()
    if rule.method == "get" and rule.ok == 200 and rule.allowed and rule.everyone is None
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "who"), PAGES, ids=[name for name, _who in PAGES])
def test_every_page_speaks_the_language(world, name, who, language, refreshes_stay_queued):
    client = client_for(world, who)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    url = reverse(name, kwargs=MATRIX[name].kwargs(world))
    if not client.get(url)["Content-Type"].startswith("text/html"):
        pytest.skip("not a page: a file or data (their columns are the file format's)")
    page = shown(client, url)
    assert f'<html lang="{language}"' in page or "<html" not in page
    assert english_on(page) == []
