"""The classroom, in real browsers against one real server: three sessions training at
once, a soak of 20 train / predict / gates cycles, 10 sessions opened and closed, and a
closed tab's run stopping. The procedures are bench/bench_reliability.py's (which writes
the figures to docs/RELIABILITY.md); here they assert its stated bounds."""

import json

import pytest
from browser_helpers import ARTIFACTS, chromium, streamlit_server

from bench import bench_reliability as load

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server():
    with streamlit_server(load.SERVER_ENV, log_name="load-server.log") as (url, _, log, pid), \
            chromium() as browser:
        yield url, browser, pid, log


def record(name, value):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "reliability.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=1, default=str))


def test_three_sessions_training_at_once_keep_to_their_own_words(server):
    url, browser, _, _ = server
    results = load.three_sessions(url, browser)
    record("three_sessions", results)
    assert results["passage"]["own"] == "way"
    assert results["lighthouse"]["own"] in ("at", "the")  # "the keeper climbs the stair"
    assert results["orchard"]["own"] == "the"  # "apples fall in the orchard"
    pairs = {"passage": 99, "lighthouse": 29, "orchard": 21}
    for name in load.TEXTS:
        assert f"on all {pairs[name]} training pairs" in results[name]["done"], results[name]
        assert results[name]["other"] == "refused", (name, results[name])


def test_soak_of_20_cycles_keeps_memory_flat(server):
    url, browser, pid, _ = server
    points = load.soak(url, browser, pid, cycles=20)
    record("soak", points)
    growth = points[-1]["rss_mb"] - points[4]["rss_mb"]
    assert growth < 150, [round(p["rss_mb"]) for p in points]


def test_ten_sessions_opened_and_closed_give_their_memory_back(server):
    url, browser, pid, _ = server
    result = load.open_and_close_sessions(url, browser, pid, n=10)
    record("sessions", result)
    assert result["after_mb"] - result["before_mb"] < 200, result


def test_a_closed_tabs_run_stops_within_seconds(server):
    url, browser, pid, _ = server
    result = load.stop_latency(url, browser, pid)
    record("stop_latency", result)
    assert result["busy_cpu"] > 0.5  # it was training
    assert result["stopped_after_s"] < 15, result
