"""Plotly figures for the dashboards. Pure: plain values in, figure HTML out; the page loads
plotly.js once from our own server, never from a CDN: the cartesian partial bundle
(scripts/fetch_plotly.py), so only scatter, bar and heatmap traces are drawn here."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.labels import segment_name

# Titles, axis and trace names are in the user's language (gettext at drawing time: plotly takes
# plain strings); the reserve names follow docs/glossary.md.
RESERVE_LABELS = {
    "upr": gettext_lazy("UPR (РНП)"),
    "premium_deficiency": gettext_lazy("Premium deficiency"),
    "rbns": gettext_lazy("RBNS (РЗУ)"),
    "ibnr": gettext_lazy("IBNR (РПНУ)"),
    "ulae": gettext_lazy("ULAE (РРУУ)"),
}
_LTR_LAYOUT = dict(template="plotly_white", height=420, margin=dict(l=60, r=20, t=50, b=50),
                   legend=dict(orientation="h", y=-0.2))
# Right to left (Persian): the value axis on the right, title and legend from the right, a font
# with Persian glyphs. Time still runs left to right on the x axis, as in Persian financial
# reports (numbers and dates are written left to right inside RTL text too).
_RTL_LAYOUT = dict(template="plotly_white", height=420, margin=dict(l=20, r=60, t=50, b=50),
                   legend=dict(orientation="h", y=-0.2, x=1, xanchor="right"),
                   title=dict(x=0.98, xanchor="right"), font=dict(family="Vazirmatn, Tahoma, 'DejaVu Sans', sans-serif"),
                   hoverlabel=dict(align="right"), yaxis=dict(side="right"))


def layout(**overrides) -> dict:
    """The common layout, right to left when the user's language is."""
    base = _RTL_LAYOUT if get_language_bidi() else _LTR_LAYOUT
    return {**base, **overrides}


def _titled(title) -> dict:
    """The layout's title: plotly merges a dict title with the RTL placement."""
    base = layout()
    if isinstance(base.get("title"), dict):
        return {"title": {**base["title"], "text": str(title)}}
    return {"title": str(title)}


def to_html(fig: go.Figure, div_id: str) -> str:
    # Static SVG renderer keeps charts crisp and testable ("svg present") in any browser.
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def reserves_over_quarters(series: dict[str, dict[str, list[float]]], quarters: list[str], currency: str,
                           net: bool = False) -> go.Figure:
    """Stacked bars: reserve type by quarter. series[reserve_type][segment] = values by quarter
    (gross, or net of the reinsurers' share)."""
    fig = go.Figure()
    for reserve_type, label in RESERVE_LABELS.items():
        by_segment = series.get(reserve_type, {})
        for segment, values in sorted(by_segment.items()):
            fig.add_bar(x=quarters, y=values, name=f"{label} · {segment_name(segment)}")
    title = (_("Reserves net of reinsurers' share by type and segment, %(currency)s") if net
             else _("Reserves by type and segment, %(currency)s")) % {"currency": currency}
    fig.update_layout(barmode="stack", **{**layout(), **_titled(title)})
    fig.update_yaxes(title=currency, tickformat=",.0f")
    return fig


def loss_ratios(years: list[int], ratios_by_segment: dict[str, list[float | None]], title: str) -> go.Figure:
    fig = go.Figure()
    for segment, ratios in sorted(ratios_by_segment.items()):
        fig.add_scatter(x=[str(y) for y in years], y=ratios, mode="lines+markers", name=segment_name(segment))
    fig.add_hline(y=1.0, line_dash="dot", annotation_text="100%")
    fig.update_layout(**{**layout(), **_titled(title)})
    fig.update_yaxes(tickformat=".0%", title=_("ultimate / earned premium"))
    return fig


def triangle_heatmap(origins: list[str], ages: list[int], link_ratios: np.ndarray, values: np.ndarray, title: str) -> go.Figure:
    """Heat map of age-to-age link ratios with the cumulative values in the hover."""
    text = np.where(np.isnan(link_ratios), "", np.vectorize(lambda v: f"{v:.3f}")(np.nan_to_num(link_ratios)))
    fig = go.Figure(go.Heatmap(
        z=link_ratios, x=[f"{a}-{a + (ages[1] - ages[0] if len(ages) > 1 else 3)}" for a in ages], y=origins,
        text=text, texttemplate="%{text}", customdata=values, colorscale="RdYlGn_r",
        hovertemplate=_("origin %{y}<br>ages %{x}<br>link ratio %{z:.4f}<br>cumulative %{customdata:,.0f}") + "<extra></extra>",
        colorbar=dict(title=_("link ratio")),
    ))
    fig.update_layout(**{**layout(height=max(420, 22 * len(origins) + 120)), **_titled(title)})
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", title=_("development age (months)"))
    return fig


def bootstrap_distribution(percentiles: dict[float, float], booked: float, booked_percentile: float | None, title: str) -> go.Figure:
    """The bootstrap reserve distribution as its quantile curve, with the booked amount."""
    ps = sorted(percentiles)
    fig = go.Figure()
    fig.add_scatter(x=[percentiles[p] for p in ps], y=[p for p in ps], mode="lines+markers", name=_("bootstrap ODP reserve (CDF)"))
    label = _("booked %(amount)s") % {"amount": f"{booked:,.0f}"} + (f" ≈ p{booked_percentile:.0f}" if booked_percentile is not None else "")
    fig.add_vline(x=booked, line_color="crimson", annotation_text=label)
    fig.update_layout(**{**layout(), **_titled(title)})
    fig.update_xaxes(title=_("reserve"), tickformat=",.0f")
    fig.update_yaxes(title=_("percentile"), range=[0, 100])
    return fig


def solvency_ratio(periods: list[str], ratios: dict[str, list[float | None]], buffer: float, title: str) -> go.Figure:
    fig = go.Figure()
    for name, values in ratios.items():
        fig.add_scatter(x=periods, y=values, mode="lines+markers", name=name)
    fig.add_hline(y=1.0, line_color="crimson", annotation_text=_("1.0 — minimum"))
    fig.add_hline(y=buffer, line_dash="dash", line_color="darkorange", annotation_text=_("%(buffer)s — internal buffer") % {"buffer": f"{buffer:.2f}"})
    fig.update_layout(**{**layout(), **_titled(title)})
    fig.update_yaxes(title=_("own funds / requirement"))
    return fig


def roll_forward_waterfall(steps: list[tuple[str, float]], title: str) -> go.Figure:
    """Opening → movements → closing as a waterfall, drawn as floating bars (each movement from the
    running total before it): the cartesian plotly.js bundle the pages load has no waterfall trace."""
    labels = [str(s) for s, _v in steps]
    values = [float(v) for _s, v in steps]
    bases, heights, colours, running = [], [], [], 0.0
    for i, value in enumerate(values):
        if i == 0 or i == len(values) - 1:  # opening and closing: totals from zero
            bases.append(0.0)
            heights.append(value)
            colours.append("#4c78a8")
            running = value
        else:
            bases.append(running if value >= 0 else running + value)
            heights.append(abs(value))
            colours.append("#2ca02c" if value >= 0 else "#d62728")
            running += value
    fig = go.Figure(go.Bar(x=labels, y=heights, base=bases, marker={"color": colours},
                           customdata=values, hovertemplate="%{x}: %{customdata:,.2f}<extra></extra>",
                           showlegend=False))
    fig.update_layout(**{**layout(height=460), **_titled(title)})
    fig.update_yaxes(tickformat=",.0f")
    return fig


def actual_vs_expected(origins: list[str], expected: list[float], actual: list[float], title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=origins, y=expected, name=_("expected emergence"))
    fig.add_bar(x=origins, y=actual, name=_("actual emergence"))
    fig.update_layout(barmode="group", **{**layout(), **_titled(title)})
    fig.update_yaxes(tickformat=",.0f")
    return fig


def premium_and_paid(periods: list[str], written: list[float], paid: list[float], currency: str, title: str) -> go.Figure:
    """Written premium and claims paid side by side per period (calendar or Jalali)."""
    fig = go.Figure()
    fig.add_bar(x=periods, y=written, name=_("written premium"))
    fig.add_bar(x=periods, y=paid, name=_("claims paid"))
    fig.update_layout(barmode="group", **{**layout(), **_titled(title)})
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=currency, tickformat=",.0f")
    return fig
