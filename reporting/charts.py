"""Plotly figures for the dashboards. Pure: plain values in, figure HTML out; the page loads
plotly.js once from our own server (the installed package), never from a CDN."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

RESERVE_LABELS = {
    "upr": "UPR (РНП)",
    "premium_deficiency": "Premium deficiency",
    "rbns": "RBNS (РЗУ)",
    "ibnr": "IBNR (РПНУ)",
    "ulae": "ULAE (РРУУ)",
}
LAYOUT = dict(template="plotly_white", height=420, margin=dict(l=60, r=20, t=50, b=50),
              legend=dict(orientation="h", y=-0.2))


def to_html(fig: go.Figure, div_id: str) -> str:
    # Static SVG renderer keeps charts crisp and testable ("svg present") in any browser.
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def reserves_over_quarters(series: dict[str, dict[str, list[float]]], quarters: list[str], currency: str) -> go.Figure:
    """Stacked bars: reserve type by quarter. series[reserve_type][segment] = values by quarter."""
    fig = go.Figure()
    for reserve_type, label in RESERVE_LABELS.items():
        by_segment = series.get(reserve_type, {})
        for segment, values in sorted(by_segment.items()):
            fig.add_bar(x=quarters, y=values, name=f"{label} · {segment}")
    fig.update_layout(barmode="stack", title=f"Reserves by type and segment, {currency}", **LAYOUT)
    fig.update_yaxes(title=currency, tickformat=",.0f")
    return fig


def loss_ratios(years: list[int], ratios_by_segment: dict[str, list[float | None]], title: str) -> go.Figure:
    fig = go.Figure()
    for segment, ratios in sorted(ratios_by_segment.items()):
        fig.add_scatter(x=[str(y) for y in years], y=ratios, mode="lines+markers", name=segment)
    fig.add_hline(y=1.0, line_dash="dot", annotation_text="100%")
    fig.update_layout(title=title, **LAYOUT)
    fig.update_yaxes(tickformat=".0%", title="ultimate / earned premium")
    return fig


def triangle_heatmap(origins: list[str], ages: list[int], link_ratios: np.ndarray, values: np.ndarray, title: str) -> go.Figure:
    """Heat map of age-to-age link ratios with the cumulative values in the hover."""
    text = np.where(np.isnan(link_ratios), "", np.vectorize(lambda v: f"{v:.3f}")(np.nan_to_num(link_ratios)))
    fig = go.Figure(go.Heatmap(
        z=link_ratios, x=[f"{a}-{a + (ages[1] - ages[0] if len(ages) > 1 else 3)}" for a in ages], y=origins,
        text=text, texttemplate="%{text}", customdata=values, colorscale="RdYlGn_r",
        hovertemplate="origin %{y}<br>ages %{x}<br>link ratio %{z:.4f}<br>cumulative %{customdata:,.0f}<extra></extra>",
        colorbar=dict(title="link ratio"),
    ))
    fig.update_layout(title=title, **{**LAYOUT, "height": max(420, 22 * len(origins) + 120)})
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", title="development age (months)")
    return fig


def bootstrap_distribution(percentiles: dict[float, float], booked: float, booked_percentile: float | None, title: str) -> go.Figure:
    """The bootstrap reserve distribution as its quantile curve, with the booked amount."""
    ps = sorted(percentiles)
    fig = go.Figure()
    fig.add_scatter(x=[percentiles[p] for p in ps], y=[p for p in ps], mode="lines+markers", name="bootstrap ODP reserve (CDF)")
    label = f"booked {booked:,.0f}" + (f" ≈ p{booked_percentile:.0f}" if booked_percentile is not None else "")
    fig.add_vline(x=booked, line_color="crimson", annotation_text=label)
    fig.update_layout(title=title, **LAYOUT)
    fig.update_xaxes(title="reserve", tickformat=",.0f")
    fig.update_yaxes(title="percentile", range=[0, 100])
    return fig


def solvency_ratio(periods: list[str], ratios: dict[str, list[float | None]], buffer: float, title: str) -> go.Figure:
    fig = go.Figure()
    for name, values in ratios.items():
        fig.add_scatter(x=periods, y=values, mode="lines+markers", name=name)
    fig.add_hline(y=1.0, line_color="crimson", annotation_text="1.0 — minimum")
    fig.add_hline(y=buffer, line_dash="dash", line_color="darkorange", annotation_text=f"{buffer:.2f} — internal buffer")
    fig.update_layout(title=title, **LAYOUT)
    fig.update_yaxes(title="own funds / requirement")
    return fig


def roll_forward_waterfall(steps: list[tuple[str, float]], title: str) -> go.Figure:
    """Opening → movements → closing as a waterfall."""
    measures = ["absolute"] + ["relative"] * (len(steps) - 2) + ["total"]
    fig = go.Figure(go.Waterfall(x=[s for s, _ in steps], y=[v for _, v in steps], measure=measures,
                                 connector={"line": {"color": "#999"}}))
    fig.update_layout(title=title, **{**LAYOUT, "height": 460})
    fig.update_yaxes(tickformat=",.0f")
    return fig


def actual_vs_expected(origins: list[str], expected: list[float], actual: list[float], title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=origins, y=expected, name="expected emergence")
    fig.add_bar(x=origins, y=actual, name="actual emergence")
    fig.update_layout(barmode="group", title=title, **LAYOUT)
    fig.update_yaxes(tickformat=",.0f")
    return fig
