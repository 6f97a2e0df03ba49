"""A chart's colours: a category keeps its colour in both languages and in every chart;
no category or series takes a status's colour; the palette is colour-blind-safe."""

import colorsys
import json
import re
from pathlib import Path

from django.utils import translation

from jalon.dashboard.charts import CATEGORIES, COLOURS
from jalon.dashboard.tests.test_pages import BASE
from jalon.plans.models import Dimension

CSS = Path(__file__).resolve().parents[1] / "static" / "dashboard" / "jalon.css"


def _hue(colour: str) -> tuple[float, float]:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, _, saturation = colorsys.rgb_to_hls(red, green, blue)
    return hue * 360, saturation


def _spec(page: str, name: str) -> dict:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_a_category_keeps_its_colour_in_both_languages(personas):
    dimension = Dimension.objects.get(indicator__code="students", code="programme")
    by_place = {}
    for language in ("fr", "en"):
        page = (
            personas["viewer"]
            .get(f"{BASE}/indicators/students/", HTTP_ACCEPT_LANGUAGE=language)
            .content.decode()
        )
        scale = _spec(page, "chart-programme")["encoding"]["color"]["scale"]
        with translation.override(language):
            labels = [m.label for m in dimension.members.all()]
        # Every member in the dimension's order, each with the colour of its place.
        assert scale["domain"] == labels
        assert scale["range"] == [CATEGORIES[k % len(CATEGORIES)] for k in range(len(labels))]
        by_place[language] = scale["range"]
    assert by_place["fr"] == by_place["en"]
    assert len(set(by_place["en"])) == len(by_place["en"]) <= len(CATEGORIES)


def test_no_category_or_series_takes_a_status_colour():
    css = CSS.read_text()
    statuses = re.findall(r"--(?:achieved|on-track|at-risk|off-track|missed): (#[0-9a-f]{6})", css)
    assert len(statuses) == 5
    status_hues = {round(_hue(c)[0]) for c in statuses}  # red, amber and green
    assert len(set(CATEGORIES)) == len(CATEGORIES) == 8
    for colour in (*CATEGORIES, *COLOURS.values()):
        assert colour not in statuses
        hue, saturation = _hue(colour)
        if saturation < 0.2:
            continue  # a grey or near-black: no hue to mistake
        nearest = min(min(abs(hue - h), 360 - abs(hue - h)) for h in status_hues)
        assert nearest >= 20, f"{colour} is {nearest:.0f}° from a status's hue"
