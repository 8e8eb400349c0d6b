"""A small run of the load test: concurrent sessions against `python app.py`, none failing, memory bounded."""

from bench.load import run_load


def test_concurrent_sessions_all_succeed_and_memory_stays_bounded():
    result = run_load("approx", sessions=4, changes=3, size=256)
    assert result["failed"] == 0, result["failures"]
    assert result["requests"] == 12
    assert result["rss_after_mb"] - result["rss_before_mb"] < 500
