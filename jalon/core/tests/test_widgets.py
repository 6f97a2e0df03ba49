"""A day picked in the browser's calendar is written as the browser reads it, in French too."""

import datetime as dt

from django.utils import translation

from jalon.core.widgets import DayInput


def test_a_day_is_written_as_the_browser_reads_it_in_every_language():
    for language in ("fr", "en"):
        with translation.override(language):
            html = DayInput().render("as_of", dt.date(2026, 11, 27))
        assert 'type="date"' in html and 'value="2026-11-27"' in html, (language, html)
