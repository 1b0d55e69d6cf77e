"""Bank of Russia form 0420155 "Отчет о страховых резервах" as an XLSX working paper.

The form is filed as XBRL; this workbook is the working paper behind it, in the pre-2025
layout (template version 1, shared/reports.md): reserves by accounting group with a total
sheet that reconciles to the groups, earned premium, and the cumulative payments and
reported-not-settled (ЗНУ) triangles by accident quarter × quarter end. Amounts in thousands
of roubles with one decimal. Segments in other currencies are in it once converted at the
official rates (reporting.selectors.report_data_converted), and the cover lists each rate used;
rows left in another currency are left out (the sheet says so). Reinsurers' shares (lines
020, 040, 041, 045, 090) are the run's ceded figures (reserving.cessions), and sections 4 and
6.1 are the triangles of the reinsurers' shares in ЗНУ and in the payments.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from core.periods import Quarter
from reporting.exports.data import ReportData, SegmentReserves, SegmentTriangles
from reporting.exports.xlsx import BOLD, header_row, sheet_title, workbook_bytes, workbook_new

TEMPLATE_VERSION = "0420155-v1 (layout applied until 31.12.2024)"


@dataclass(frozen=True)
class Line:
    code: str
    name_ru: str
    name_en: str
    verified: bool = True


# Section 1: reserve lines. The РРУУ line's code is not legible in the source (reports.md);
# it is flagged, and counted in 030 as loss reserves (docs/decisions.md D-7).
LINES = [
    Line("010", "Резерв незаработанной премии (РНП), всего", "Unearned premium reserve, total"),
    Line("011", "РНП: базовая часть", "UPR: base part"),
    Line("012", "РНП: дополнительная часть (резерв неистекшего риска)", "UPR: additional part (premium deficiency)"),
    Line("020", "Доля перестраховщиков в РНП", "Reinsurers' share in UPR"),
    Line("030", "Резервы убытков, всего", "Loss reserves, total"),
    Line("031", "Резерв заявленных, но неурегулированных убытков (РЗУ)", "Reported but not settled (RBNS)"),
    Line("035", "Резерв произошедших, но незаявленных убытков (РПНУ)", "Incurred but not reported (IBNR)"),
    Line("036", "Резерв расходов на урегулирование убытков (РРУУ)", "Claim-handling expenses (ULAE)", verified=False),
    Line("040", "Доля перестраховщиков в резервах убытков", "Reinsurers' share in loss reserves"),
    Line("041", "Доля перестраховщиков в РЗУ", "Reinsurers' share in RBNS"),
    Line("045", "Доля перестраховщиков в РПНУ", "Reinsurers' share in IBNR"),
    Line("050", "Другие страховые резервы", "Other insurance reserves", verified=False),
    Line("060", "Доля перестраховщиков в других резервах", "Reinsurers' share in other reserves", verified=False),
    Line("080", "Итого страховые резервы", "Total insurance reserves"),
    Line("090", "Итого доля перестраховщиков", "Total reinsurers' share"),
]


def thousands(amount, places: int = 1) -> float:
    """Roubles → thousands, half-up to one decimal (the form's unit)."""
    q = Decimal(1).scaleb(-places)
    return float((Decimal(str(amount)) / Decimal(1000)).quantize(q, rounding=ROUND_HALF_UP))


def line_values(rows: list[SegmentReserves], *, ulae_reported_with_rbns: bool) -> dict[str, Decimal]:
    zero = Decimal("0")
    upr = sum((r.upr for r in rows), zero)
    add = sum((r.premium_deficiency for r in rows), zero)
    rbns = sum((r.rbns for r in rows), zero)
    ibnr = sum((r.ibnr for r in rows), zero)
    ulae = sum((r.ulae for r in rows), zero)
    ceded = {t: sum((r.ceded(t) for r in rows), zero) for t in ("upr", "premium_deficiency", "rbns", "ibnr", "ulae")}
    c_rbns, c_ulae = ceded["rbns"], ceded["ulae"]
    if ulae_reported_with_rbns:  # ru-51n: 3% for handling reported inside РЗУ
        rbns, ulae = rbns + ulae, zero
        c_rbns, c_ulae = c_rbns + c_ulae, zero
    values = {
        "011": upr, "012": add, "010": upr + add, "020": ceded["upr"] + ceded["premium_deficiency"],
        "031": rbns, "035": ibnr, "036": ulae, "030": rbns + ibnr + ulae,
        # 040 = 041 + 045 (+ the share in РРУУ, which the treaties here never take: 0)
        "041": c_rbns, "045": ceded["ibnr"], "040": c_rbns + ceded["ibnr"] + c_ulae, "050": zero, "060": zero,
    }
    values["080"] = values["010"] + values["030"] + values["050"]
    values["090"] = values["020"] + values["040"] + values["060"]
    return values


def quarter_label_ru(day: date) -> str:
    q = Quarter.of(day)
    return f"{q.q}.{q.year}"


def _reserve_sheet(wb, title: str, heading: str, data: ReportData, group: str | None, unit_note: str):
    ws = wb.create_sheet(title)
    ws["A1"] = heading
    ws["A1"].font = BOLD
    ws["A2"] = unit_note
    vdate = data.valuation_date
    year_ends = [date(vdate.year - 2, 12, 31), date(vdate.year - 1, 12, 31)]
    header_row(ws, 4, [
        "Наименование показателя / Line", "Код строки / Code",
        f"На конец позапрошлого года / End of year before last ({year_ends[0]})",
        f"На конец прошлого года / End of last year ({year_ends[1]})",
        f"На отчетную дату / At the reporting date ({vdate})",
    ])
    header_row(ws, 5, [1, 2, 3, 4, 5])

    def pick(rows):
        return [r for r in rows if r.currency == data.reporting_currency
                and (group is None or r.accounting_group == group)]

    current = line_values(pick(data.reserves), ulae_reported_with_rbns=data.ulae_reported_with_rbns)
    past = []
    for ye in year_ends:
        rows = data.history.get(ye)
        past.append(line_values(pick(rows), ulae_reported_with_rbns=data.ulae_reported_with_rbns) if rows else None)
    for i, line in enumerate(LINES, start=6):
        name = f"{line.name_ru} / {line.name_en}" + ("" if line.verified else " [code unverified]")
        ws.cell(row=i, column=1, value=name)
        ws.cell(row=i, column=2, value=line.code)
        for col, values in ((3, past[0]), (4, past[1]), (5, current)):
            ws.cell(row=i, column=col, value=None if values is None else thousands(values[line.code]))
    ws.column_dimensions["A"].width = 70
    for c in "BCDE":
        ws.column_dimensions[c].width = 22
    return current


def _scope(data: ReportData) -> tuple[str, str]:
    """What the figures cover: (cover text, note under each triangle's heading)."""
    cur = data.reporting_currency
    if data.rates_used:
        return (f"Все сегменты; прочие валюты пересчитаны в {cur} по официальному курсу на отчетную дату / "
                f"All segments; other currencies converted to {cur} at the official rate of the reporting date",
                f"тыс. руб. / thousands of roubles ({cur}); all segments, converted at the rates on the cover")
    return (f"Только сегменты в {cur} / {cur} segments only",
            f"тыс. руб. / thousands of roubles; {cur} segments only")


def _triangle_sheet(wb, title: str, heading: str, triangles: list[SegmentTriangles], attr: str,
                    valuation_date: date, n_quarters: int, n_origins: int, scope: tuple[str, str] = ("", ""),
                    currency: str = "RUB"):
    """Accident quarter × quarter end, cumulative; row 010 dates, 020 earlier accident
    quarters together, 030… the last n accident quarters; columns 3… the last n quarter ends."""
    ws = wb.create_sheet(title)
    ws["A1"] = heading
    ws["A1"].font = BOLD
    ws["A2"] = scope[1]
    last_q = Quarter.of(valuation_date)
    quarter_ends = [(last_q - (n_quarters - 1 - k)) for k in range(n_quarters)]
    origins = [(last_q - (n_origins - 1 - k)) for k in range(n_origins)]
    grid = np.zeros((n_origins + 1, n_quarters))  # row 0 = earlier accident quarters
    seen = np.zeros_like(grid, dtype=bool)
    for tri in triangles:
        if tri.currency != currency:
            continue
        frame: pd.DataFrame = getattr(tri, attr)
        for origin_label, row in frame.iterrows():
            oq = Quarter.parse(str(origin_label))
            r = 0 if oq < origins[0] else origins.index(oq) + 1 if oq in origins else None
            if r is None:
                continue
            for age, value in row.items():
                if pd.isna(value):
                    continue
                at_q = oq + (int(age) // 3 - 1)
                if at_q in quarter_ends:
                    c = quarter_ends.index(at_q)
                    grid[r, c] += float(value)
                    seen[r, c] = True
    header_row(ws, 4, ["Код строки / Code", "Период наступления / Accident quarter"] + [3 + k for k in range(n_quarters)])
    ws.cell(row=5, column=1, value="010")
    ws.cell(row=5, column=2, value="Отчетная дата / Quarter end")
    for k, q in enumerate(quarter_ends):
        ws.cell(row=5, column=3 + k, value=quarter_label_ru(q.end))
    labels = ["Ранее / Earlier"] + [quarter_label_ru(q.end) for q in origins]
    for r in range(n_origins + 1):
        ws.cell(row=6 + r, column=1, value=f"{20 + 10 * r:03d}")
        ws.cell(row=6 + r, column=2, value=labels[r])
        for c in range(n_quarters):
            if seen[r, c]:
                ws.cell(row=6 + r, column=3 + c, value=thousands(grid[r, c]))
    return grid


def write_0420155(data: ReportData, *, n_quarters: int = 20, n_origins: int = 20) -> bytes:
    """n_quarters: quarter-end columns of the triangles; n_origins: accident-quarter rows after
    the row of earlier accident quarters (20 and 20 in the form)."""
    wb = workbook_new(as_of=data.valuation_date)
    cover = wb.active
    cover.title = "Титул"
    cover["A1"] = "Форма 0420155 «Отчет о страховых резервах» — рабочий документ / Form 0420155 working paper"
    cover["A1"].font = BOLD
    rows = [
        ("Шаблон / Template", TEMPLATE_VERSION),
        ("Отчетная дата / Reporting date", data.valuation_date.isoformat()),
        ("Расчет резервов / Reserve run", data.run_id),
        ("Режим / Regime", data.regime),
        ("Отпечаток входных данных / Input fingerprint", data.input_fingerprint),
        ("Единицы / Units", "тыс. руб. с одним знаком / thousands of roubles, one decimal"),
        ("Охват / Scope", _scope(data)[0]),
        ("Подача / Filing", "Форма подается в XBRL; этот файл — рабочий документ / filed as XBRL; this is the working paper"),
    ]
    rows += [("Курс / Rate used", text) for text in data.rates_used]
    for i, (k, v) in enumerate(rows, start=3):
        cover.cell(row=i, column=1, value=k)
        cover.cell(row=i, column=2, value=v)
    cover.column_dimensions["A"].width = 45
    cover.column_dimensions["B"].width = 90

    groups = sorted({r.accounting_group for r in data.reserves if r.currency == data.reporting_currency})
    unit = "тыс. руб. / thousands of roubles"
    _reserve_sheet(wb, "1.1 Итого", "Раздел 1.1. Страховые резервы, всего / Section 1.1 Reserves, total", data, None, unit)
    for g in groups:
        ru, en = data.group_names.get(g, (g, g))
        _reserve_sheet(wb, sheet_title(f"1.2 УГ {g}"), f"Раздел 1.2. Учетная группа {g} «{ru}» / Accounting group {g} ({en})", data, g, unit)

    ws = wb.create_sheet("2 Заработанная премия")
    ws["A1"] = "Раздел 2. Заработанная премия с начала года / Section 2 Earned premium, year to date"
    ws["A1"].font = BOLD
    header_row(ws, 3, ["Учетная группа / Accounting group", "Сегмент / Segment", "Заработанная премия, тыс. руб. / Earned premium, thousands",
                       "Пересчет / Converted"])
    r = 4
    for res in sorted(data.reserves, key=lambda x: (x.accounting_group, x.segment, x.converted_from)):
        if res.currency != data.reporting_currency:
            continue
        ws.cell(row=r, column=1, value=res.accounting_group)
        ws.cell(row=r, column=2, value=res.segment)
        if res.converted_from:  # the segment's rows in another currency, converted: their own line
            ws.cell(row=r, column=4, value=f"{res.converted_from} → {res.currency}")
        ws.cell(row=r, column=3, value=None if res.earned_premium is None else thousands(res.earned_premium))
        r += 1

    _triangle_sheet(wb, "3 ЗНУ", "Раздел 3. Заявленные, но неурегулированные убытки / Section 3 Reported-not-settled claims",
                    data.triangles, "case", data.valuation_date, n_quarters, n_origins, _scope(data),
                    data.reporting_currency)
    _triangle_sheet(wb, "4 Доля ЗНУ", "Раздел 4. Доля перестраховщиков в заявленных, но неурегулированных убытках / "
                    "Section 4 Reinsurers' share in reported-not-settled claims",
                    data.triangles, "ceded_case", data.valuation_date, n_quarters, n_origins, _scope(data),
                    data.reporting_currency)
    _triangle_sheet(wb, "5.1 Выплаты", "Раздел 5.1. Выплаты нарастающим итогом / Section 5.1 Cumulative payments",
                    data.triangles, "paid", data.valuation_date, n_quarters, n_origins, _scope(data),
                    data.reporting_currency)
    _triangle_sheet(wb, "6.1 Доля выплат", "Раздел 6.1. Доля перестраховщиков в выплатах нарастающим итогом / "
                    "Section 6.1 Reinsurers' share of cumulative payments",
                    data.triangles, "ceded_paid", data.valuation_date, n_quarters, n_origins, _scope(data),
                    data.reporting_currency)
    return workbook_bytes(wb)
