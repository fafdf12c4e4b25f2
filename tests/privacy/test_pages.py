"""The privacy office pages: the records of processing are shown as tables a privacy
officer can read (not the Markdown source), built from the same generator as the CLI."""

from __future__ import annotations

import re

from chuhai.core.actor import Role
from chuhai.privacy import records
from tests.factories import make_platform_staff


async def test_the_records_of_processing_page_is_an_html_table(app_client, stores, settings):
    tenant = await make_platform_staff(stores, settings, Role.OWNER)
    page = await app_client.get("/console/privacy/records", headers=tenant.headers)
    assert page.status_code == 200
    html = page.text
    assert "|---|" not in html and "| table (store) |" not in html  # no raw Markdown
    assert "<caption>Processing activities (" in html
    tables = re.findall(r'<table class="stack records">(.*?)</table>', html, re.S)
    assert len(tables) == 2
    activities, data_map = tables
    # One row per table holding personal data, one per personal column.
    assert activities.count("<tr>") == len(records.activities()) + 1  # + the header row
    assert data_map.count("<tr>") == len(records.rows()) + 1
    customers = re.search(r"<tr><td data-label=\"Table\"><code>customers</code>.*?</tr>",
                          activities, re.S)
    assert customers and "6(1)(b)" in customers.group(0)
    assert "<code>user.contact.email</code>" in data_map
