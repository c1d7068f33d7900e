"""Every statement earns its place: an element whose inputs the data lacks is left out, with one line why.

Each sentence, table and chart a notebook shows declares what it needs (``retro.context.shows``). The pages
are built here on a small complete export and on exports that each lack one optional column or the targets;
every element whose need is unmet must be left out (at most one line per missing input on a page), no chart
may be drawn without data, and no sentence may claim what the missing input would be needed for.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from retro.charts import Chart, has_data
from retro.context import SectionContext
from retro.display import Omitted
from retro.evidence import FACTS
from retro.paths import NOTEBOOK_DIR, twin_of
from retro.registry import SECTIONS
from retro.rundir import RunDir
from test_marts_fulfilment import INVENTORY, ITEMS, ORDERS, PRODUCTS, SHIPMENTS

CALL = re.compile(r"^([a-z_]+)\.([a-z_]+)\(ctx\)", re.M)


def shown_elements(section: str) -> list[str]:
    """The section functions its notebook calls, in order."""
    text = twin_of(NOTEBOOK_DIR / SECTIONS[section].notebook).read_text(encoding="utf-8")
    return [fn for mod, fn in CALL.findall(text) if mod == section]


def module(section: str):
    return __import__(f"retro.sections.{section}", fromlist=["_"])


@pytest.mark.parametrize("section", [s for s in SECTIONS if SECTIONS[s].plugin is None])
def test_every_element_a_notebook_shows_declares_what_it_needs(section):
    elements = shown_elements(section)
    assert elements, section
    for name in elements:
        fn = getattr(module(section), name)
        assert hasattr(fn, "__shows__"), f"{section}.{name} shows something without declaring its needs (@shows)"
        for need in fn.__shows__:
            for one in need.split("|"):
                assert one in FACTS or one == "targets" or one.split(":")[0] in ("table", "target"), (name, one)


# --- a small complete export and its variants ----------------------------------------------------------------
FULL = {
    "orders": ORDERS.assign(
        province=["Zhejiang"] * len(ORDERS),
        city_tier=["tier1", "tier2"] * (len(ORDERS) // 2),
        freight=[6.0] * len(ORDERS),
    ),
    "order_items": ITEMS.assign(unit_cost=[20.0] * len(ITEMS)),
    "products": PRODUCTS.assign(launch_date=pd.to_datetime(["2026-10-20", "2025-01-01", "2025-01-01"])),
    "shipments": SHIPMENTS,
    "inventory": INVENTORY,
}
TARGETS = {"targets": {"gmv": 900.0, "orders": 8}}


def date_only(frames):
    o = frames["orders"].copy()
    o["order_time"] = o["order_time"].dt.normalize()
    o["pay_time"] = o["pay_time"].dt.normalize()
    return {**frames, "orders": o}


def without(table: str, column: str):
    def drop(frames):
        return {**frames, table: frames[table].drop(columns=[column])}

    return drop


VARIANTS = {
    # variant: (frames, YAML overrides, the need it lacks, sentences that must not appear)
    "date_only": (date_only, TARGETS, "order_times", ["Busiest hour", "peak hour"]),
    "no_promise": (
        without("shipments", "promised_hours"),
        TARGETS,
        "delivery_promise",
        ["was late", "ran late", "Late rate"],
    ),
    "no_launch_dates": (without("products", "launch_date"), TARGETS, "launch_dates", ["launched in the 30 days"]),
    "no_city_tier": (without("orders", "city_tier"), TARGETS, "order_city_tier", ["tier"]),
    "no_presale_flag": (without("orders", "is_presale"), TARGETS, "presale_flag", ["Presale orders brought"]),
    "no_targets": (lambda f: f, {}, "targets", ["pace to target", "attainment"]),
    "no_province": (without("orders", "province"), TARGETS, "order_province", ["buyer province"]),
    "no_freight": (without("orders", "freight"), TARGETS, "order_freight", ["of freight", "Freight"]),
    "no_inventory": (
        lambda f: {k: v for k, v in f.items() if k != "inventory"},
        TARGETS,
        "table:inventory",
        ["SKUs that sold out", "Sell-through", "stock-outs"],
    ),
}
SHOWN = ("goals", "sales", "users", "fulfilment")


def build_pages(camp) -> dict[str, list[tuple[str, object]]]:
    """What each section's notebook would show, element by element, as one kernel per section would."""
    pages = {}
    for section in SHOWN:
        ctx = SectionContext(SECTIONS[section], camp.params, camp.run_dir)
        pages[section] = [(name, getattr(module(section), name)(ctx)) for name in shown_elements(section)]
    return pages


def html_of(obj) -> str:
    return obj._repr_html_() if hasattr(obj, "_repr_html_") else str(obj)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    from conftest import TinyCampaign

    return TinyCampaign(tmp_path_factory.mktemp("full"), FULL, TARGETS)


def test_the_complete_export_shows_every_element(full):
    profile = RunDir(full.run_dir).read_profile()
    timed = (ORDERS.order_time != ORDERS.order_time.dt.normalize()).sum()  # x9 was placed at midnight
    assert profile["orders"]["order_time"]["timed"] == timed == 9
    assert profile["shipments"]["promised_hours"]["known"] == SHIPMENTS["promised_hours"].notna().sum()
    for section, page in build_pages(full).items():
        left_out = [name for name, obj in page if isinstance(obj, Omitted)]
        assert left_out == [], (section, left_out)


def test_every_figure_need_is_a_known_need_of_a_known_figure():
    from retro.catalog import FIGURES
    from retro.evidence import FIGURE_NEEDS

    for key, needs in FIGURE_NEEDS.items():
        assert key in FIGURES, key
        for one in (n for need in needs for n in need.split("|")):
            assert one in FACTS or one.split(":")[0] == "table", (key, one)


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_element_whose_input_is_missing_is_left_out(tmp_path, variant):
    from conftest import TinyCampaign

    change, overrides, lacking, claims = VARIANTS[variant]
    camp = TinyCampaign(tmp_path, change(FULL), overrides)
    pages = build_pages(camp)
    probe = SectionContext(SECTIONS["sales"], camp.params, camp.run_dir)
    assert not probe.has(lacking)  # the profile of the staged data says so
    said = 0
    for section, page in pages.items():
        for name, obj in page:
            needs = getattr(module(section), name).__shows__
            if any(lacking in need.split("|") and not probe.has(need) for need in needs):
                assert isinstance(obj, Omitted), f"{variant}: {section}.{name} shown without {lacking}"
            if isinstance(obj, Chart):
                assert has_data(obj.figure), f"{variant}: {section}.{name} draws an empty chart"
            text = "" if isinstance(obj, Omitted) else html_of(obj)  # the one line names what is missing
            words = html.unescape(re.sub("<[^>]+>", " ", text))
            words = re.sub(r"Not shown: it needs [^.]*\.", " ", words)  # a headline table's "not shown" line
            for claim in claims:
                assert claim.lower() not in words.lower(), (variant, section, name, claim)
            # the line is the element's own, or a headline table's note naming the figures it left out
            said += bool(obj.text) if isinstance(obj, Omitted) else probe._need_text(lacking) in html.unescape(text)
    if variant != "no_presale_flag":  # there only a sentence and a figure go: the basket note stays
        assert said >= 1  # the reader is told, once per page at most, what would enable the missing element
    for section, page in pages.items():
        lines = [obj.text for _, obj in page if isinstance(obj, Omitted) and obj.text]
        assert len(lines) == len(set(lines)), (section, lines)


def test_date_only_orders_record_no_peak_hour(tmp_path):
    from conftest import TinyCampaign
    from retro.context import open_section

    camp = TinyCampaign(tmp_path, date_only(FULL), TARGETS)
    ctx = open_section("sales", camp.params_file, camp.run_dir)
    assert ctx.figure("peak_hour_share") is None and ctx.figure("gmv") is not None
