"""An admin downloads a backup of the demo program and restores it into a second
organization, where it shows the same dashboard; an executive finds no backup button."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from programs.models import Role
from programs.services import organization_create
from tests.browser.test_program_flow import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_backs_up_a_program_and_restores_it_in_another_organization(
    live_server,
    page,
    demo,
    tmp_path,
):
    admin = get_user_model().objects.get(username="admin")
    admin.set_password(PASSWORD)
    admin.save()
    log_in(page, live_server.url, "admin")
    organization_create(name="Demo Belgium", admin=admin)

    page.get_by_role("link", name="Web shop").click()
    with page.expect_download() as download:
        page.get_by_test_id("download-backup").click()
    assert download.value.suggested_filename.startswith("fourfold-demo-web-shop-")
    backup = tmp_path / download.value.suggested_filename
    download.value.save_as(backup)

    # A file cut short is refused, and says so.
    cut = tmp_path / "cut.json"
    cut.write_bytes(backup.read_bytes()[:50_000])
    page.get_by_test_id("org-switcher").click()
    page.get_by_role("link", name="Demo Belgium").click()
    page.get_by_role("link", name="Restore from backup").click()
    page.get_by_label("Backup file").set_input_files(cut)
    page.get_by_role("button", name="Restore as a new program").click()
    expect(page.get_by_test_id("restore-problems")).to_contain_text("The file is cut short")

    page.get_by_label("Backup file").set_input_files(backup)
    page.get_by_label("Name of the new program").fill("Web shop BE")
    page.get_by_role("button", name="Restore as a new program").click()

    expect(page.get_by_role("heading", name="Web shop BE")).to_be_visible()
    expect(page.get_by_text("Restored “Web shop BE”: 3 cycles, 6 goals, 14 KPIs")).to_be_visible()
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_test_id("kpi-card")).to_have_count(4)
    expect(page.get_by_text("2 on track")).to_be_visible()


def test_executive_finds_no_backup_to_download(live_server, page, demo):
    assert demo.organization.memberships.get(user__username="executive").role == Role.EXECUTIVE
    log_in(page, live_server.url, "executive")

    expect(page.get_by_role("link", name="Restore from backup")).to_have_count(0)
    page.get_by_role("link", name="Web shop").click()
    expect(page.get_by_role("heading", name="Web shop")).to_be_visible()
    expect(page.get_by_test_id("download-backup")).to_have_count(0)
