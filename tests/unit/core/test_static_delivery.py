"""Issue 16 §3: plotly.js sent gzip to a browser that accepts it, the same script unzipped;
the roll-forward waterfall drawn as floating bars (the cartesian bundle has no waterfall trace)."""
from __future__ import annotations

import gzip

import pytest
from django.test import RequestFactory

from reporting import charts, views


def test_plotly_is_sent_gzip_when_accepted_and_plain_otherwise():
    factory = RequestFactory()
    plain = views.plotly_js(factory.get("/"))
    packed = views.plotly_js(factory.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br"))
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) * 2 < len(plain.content)
    assert packed["Vary"] == "Accept-Encoding" and packed["ETag"] == plain["ETag"]
    again = views.plotly_js(factory.get("/", HTTP_IF_NONE_MATCH=plain["ETag"]))
    assert again.status_code == 304 and again.content == b""


def test_the_roll_forward_bars_float_on_the_running_total():
    fig = charts.roll_forward_waterfall([("opening", 100.0), ("paid", -30.0), ("new claims", 50.0), ("closing", 120.0)], "rf")
    [bar] = fig.data
    assert bar.type == "bar"
    assert list(bar.base) == [0.0, 70.0, 70.0, 0.0]
    assert list(bar.y) == [100.0, 30.0, 50.0, 120.0]
    assert list(bar.customdata) == [100.0, -30.0, 50.0, 120.0]
    assert list(bar.marker.color) == ["#4c78a8", "#d62728", "#2ca02c", "#4c78a8"]


@pytest.mark.parametrize("trace", ["scatter", "bar", "heatmap"])
def test_every_trace_we_draw_is_in_the_cartesian_bundle(trace):
    from pathlib import Path

    from plotly.offline import get_plotlyjs_version

    bundle = Path(__file__).resolve().parents[3] / "static" / "vendor" / "plotly" / f"plotly-cartesian-{get_plotlyjs_version()}.min.js"
    if not bundle.exists():
        pytest.skip("scripts/fetch_plotly.py has not run (make install runs it)")
    assert f'moduleType:"trace",name:"{trace}"' in bundle.read_text(encoding="utf-8")
