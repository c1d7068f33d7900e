"""The mart cache: a mart is rebuilt when, and only when, the data or YAML entries of the tables it read change."""

import yaml
from conftest import TinyCampaign
from retro.marts.build import build_marts
from retro.params import load_params
from retro.rundir import RunDir
from test_marts_traffic import EVENTS, ORDERS

SECTIONS = {"sections": ["sales", "traffic", "funnel", "users", "summary"]}


def test_a_new_event_log_rebuilds_the_event_marts_only(tmp_path):
    camp = TinyCampaign(tmp_path, {"events": EVENTS, "orders": ORDERS}, SECTIONS)
    before = RunDir(camp.run_dir).read_manifest()
    assert before["sales_daily"]["tables"] == ["orders"]
    # the new-visitor flag of the shared reduction looks at prior buyers: read through it, orders count too
    assert before["traffic_by_channel"]["tables"] == ["events", "orders"]
    assert before["funnel_steps"]["tables"] == ["events", "orders"]

    uv = camp.mart("traffic_by_channel").set_index(["channel", "period"]).loc[("all", "overall"), "uv"]
    fewer = EVENTS[~((EVENTS.visitor_id == "v6") & EVENTS.event_type.isin(["order", "pay"]))]  # v6 only carted
    fewer.to_parquet(camp.root / "data" / "events" / "part-0.parquet", index=False)
    built = build_marts(camp.params, camp.run_dir)
    rebuilt = {m for m in built if built[m]["fingerprint"] != before[m]["fingerprint"]}
    assert rebuilt == {m for m, e in before.items() if "events" in e["tables"]}
    assert {"traffic_daily", "funnel_steps", "users_visitor_conversion"} <= rebuilt
    assert not any(m.startswith("sales_") for m in rebuilt)
    # rebuilt, not merely re-keyed: the funnel lost v6's order and pay steps, the visitors stay
    funnel = camp.mart("funnel_steps").set_index(["channel", "period"])
    assert funnel.loc[("private", "tail"), ["cart", "order", "pay"]].tolist() == [1, 0, 0]
    assert camp.mart("traffic_by_channel").set_index(["channel", "period"]).loc[("all", "overall"), "uv"] == uv

    # nothing changed since: nothing rebuilt
    assert build_marts(camp.params, camp.run_dir) == built


def test_a_mapping_change_of_one_table_rebuilds_its_marts(tmp_path):
    camp = TinyCampaign(tmp_path, {"events": EVENTS, "orders": ORDERS}, SECTIONS)
    before = RunDir(camp.run_dir).read_manifest()
    doc = yaml.safe_load(camp.params_file.read_text(encoding="utf-8"))
    doc["data"]["tables"]["events"]["defaults"] = {"dwell_seconds": 1}  # fills the two empty dwell times
    camp.params_file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    built = build_marts(load_params(camp.params_file), camp.run_dir)
    rebuilt = {m for m in built if built[m]["fingerprint"] != before[m]["fingerprint"]}
    assert rebuilt == {m for m, e in before.items() if "events" in e["tables"]} and "sales_daily" not in rebuilt
    sessions = camp.mart("traffic_sessions").set_index(["channel", "period"])
    assert sessions.loc[("all", "overall"), "dwell_seconds"] == camp_dwell(EVENTS.dwell_seconds.fillna(1))


def camp_dwell(dwell):
    """Dwell seconds of the campaign's events (Nov 1-4)."""
    t = EVENTS.event_time
    return dwell[(t >= "2026-11-01") & (t < "2026-11-05")].sum()


def test_the_shared_visitor_tables_are_freed_after_their_last_reader(tmp_path, monkeypatch):
    """A large event log's visitor tables must not stay in memory (and spill) until the whole build ends."""
    from retro.staging import engines

    live: dict[str, str] = {}  # engine table -> what it holds, while the engine keeps it
    held: list[tuple[str, set[str]]] = []  # per mart written, in order: the intermediates then held
    built: list[tuple[str, set[str]]] = []  # per intermediate made, in order: the ones held when it was made
    materialize, release, write = engines.materialize, engines.release, RunDir.write_mart

    def kept(con, name, expr):
        if name.startswith("__shared_"):
            cols = set(expr.columns)  # which intermediate this is
            kind = "counts" if "level" in cols else "rows" if "is_new" in cols else "visits" if "dwell" in cols else ""
            built.append((kind or name, {live[n] for n in live}))
            live[name] = kind or name
        return materialize(con, name, expr)

    def freed(con, name):
        live.pop(name, None)  # staged copies are freed too (release_staged): not tracked here
        return release(con, name)

    def written(self, name, table):
        held.append((name, set(live)))
        return write(self, name, table)

    monkeypatch.setattr(engines, "materialize", kept)
    monkeypatch.setattr(engines, "release", freed)
    monkeypatch.setattr(RunDir, "write_mart", written)
    camp = TinyCampaign(tmp_path, {"events": EVENTS, "orders": ORDERS}, SECTIONS)
    made = dict(built)
    assert {"visits", "rows", "counts"} <= set(made) and not live  # all freed by the end
    assert max(len(names) for _, names in held) < len(made)  # and some before others were made
    # the visits go as soon as the visitor rows are made from them (the marts reading the visits come first):
    # the counts are made with no other visitor table in memory, and none outlives its last reader
    assert "visits" in made["rows"] and made["counts"] & {"visits", "rows"} == {"rows"}
    assert all("visits" not in names for name, names in held if name in ("traffic_by_channel", "funnel_steps"))
    order = [name for name, _ in held]
    # the marts that read no intermediate are built first, so none of them holds one
    assert not held[order.index("sales_daily")][1] and not held[order.index("traffic_gmv")][1]
    assert camp.mart("traffic_by_channel").set_index(["channel", "period"]).loc[("all", "overall"), "uv"] > 0


def test_staged_copies_only_other_marts_read_are_gone_before_the_event_marts(tmp_path, monkeypatch):
    """Copies of users or order lines must not hold the memory the event log's reductions need."""
    import test_marts_users as users_case
    from retro.staging import engines

    cons = []
    copies: dict[str, set[str]] = {}  # mart written -> the staged copies the engine then held
    materialize, write = engines.materialize, RunDir.write_mart

    def kept(con, name, expr):
        cons.append(con)
        return materialize(con, name, expr)

    def written(self, name, table):
        sql = "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name NOT LIKE '__shared_%'"
        copies[name] = {n for (n,) in cons[0].con.execute(sql).fetchall()}
        return write(self, name, table)

    monkeypatch.setattr(engines, "materialize", kept)
    monkeypatch.setattr(RunDir, "write_mart", written)
    frames = {"orders": users_case.ORDERS, "users": users_case.USERS, "events": users_case.EVENTS}
    camp = TinyCampaign(tmp_path, frames, {"sections": ["sales", "traffic", "funnel", "users"]})
    # the users table is kept while a mart reading it is to come, then freed before the event marts
    assert "users" in copies["users_membership"] and "users" in copies["users_city_tier"]
    for event_mart in ("traffic_daily", "users_visitor_conversion"):
        assert copies[event_mart] == {"orders"}  # its prior buyers, and the new-visitor flag's, are still to come
    # the visitor rows read the orders last (prior buyers): once they are made, no copy is left
    assert copies["traffic_by_channel"] == copies["funnel_steps"] == set()
    # the figures do not change: the membership mart read the users before they went
    assert camp.mart("users_membership").buyers.sum() > 0


def test_a_staged_copy_a_view_reads_is_kept(tmp_path):
    """A derived table may be a view over a staged copy: freeing the copy would break it."""
    from retro.staging import engines

    params = load_params(TinyCampaign(tmp_path, {"orders": ORDERS}, {"sections": ["sales"]}).params_file)
    con = engines.connect(params)
    try:
        con.raw_sql("CREATE TEMP TABLE orders AS SELECT 1 AS o")
        con.raw_sql("CREATE TEMP TABLE order_items AS SELECT 1 AS o")
        con.raw_sql("CREATE TEMP VIEW derived AS SELECT * FROM orders")
        folder = tmp_path / "order_items"
        folder.mkdir()
        con.raw_sql(f"COPY (SELECT 1 AS o) TO '{folder / 'a.parquet'}'")
        con.raw_sql(f"CREATE TEMP VIEW other AS SELECT * FROM read_parquet('{folder / 'a.parquet'}')")  # a path
        assert engines.release_staged(con, ["orders", "order_items", "derived"]) == ["order_items"]
        assert con.raw_sql("SELECT * FROM derived").fetchall() == [(1,)]
    finally:
        engines.disconnect(con)
