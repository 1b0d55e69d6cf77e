"""Parity with chainladder 0.10 (the test oracle) to 1e-9 relative: chain ladder LDFs and
ultimates, Mack standard errors by origin and in total, Bornhuetter–Ferguson and Cape Cod, on
RAA, GenIns, ABC and every CAS medmal triangle without an all-zero development column (and
without a fall to exactly zero, which chainladder reads as missing); and our
documented behaviour where chainladder reads zeros as missing (its issue #181)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.unit.engine.cl_oracle import (cl, comparable, first_all_zero_column, has_all_zero_column,
                                             medmal_companies, to_engine)

from reserving.engine import (BornhuetterFerguson, CapeCod, ChainLadder, Development,
                              DevelopmentError, EngineError, MackChainLadder, TailConstant, TailCurve)

RTOL = 1e-9


def close(ours, theirs, rtol=RTOL, atol=1e-6):
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float).ravel(),
                               rtol=rtol, atol=atol)


def _parity_set():
    cases = [(name, cl.load_sample(name)) for name in ("raa", "genins", "abc")]
    for company, paid, incurred, premium in medmal_companies():
        for label, tri in (("paid", paid), ("incurred", incurred)):
            if comparable(tri):
                cases.append((f"{company}/{label}", tri))
    return cases


PARITY = _parity_set()
IDS = [name for name, _ in PARITY]


def test_the_parity_set_covers_the_samples_and_many_medmal_triangles():
    assert len(PARITY) >= 3 + 20


@pytest.mark.parametrize("name,tri", PARITY, ids=IDS)
def test_mack_chainladder_matches_chainladder(name, tri):
    ours = MackChainLadder().fit(to_engine(tri))
    theirs = cl.MackChainladder().fit(tri)
    n = len(ours.ldf_)
    close(ours.ldf_, theirs.ldf_.values[..., :n])
    ult = theirs.ultimate_.values[0, 0, :, 0]
    seen = np.isfinite(ult)  # chainladder shows NaN where the latest value is zero
    close(ours.ultimate_[seen], ult[seen])
    assert np.all(ours.ultimate_[~seen] == 0) and np.all(ours.latest_[~seen] == 0)
    process = theirs.process_risk_.values[0, 0, :, -1]
    close(ours.process_risk_[np.isfinite(process)], process[np.isfinite(process)])
    if np.isnan(theirs.X_.std_err_.values).any():
        # A column whose ratios are all equal has sigma 0; chainladder turns that 0 into NaN,
        # which makes its tail std_err NaN and wipes out its whole parameter risk. Ours keeps
        # the zero: the parameter risk stays, and the process risk still agrees.
        assert np.all(theirs.parameter_risk_.values[0, 0, :, -1] == 0)
        assert ours.parameter_risk_.iloc[-1] > 0
        return
    se = theirs.mack_std_err_.values[0, 0, :, -1]
    close(ours.mack_se_[np.isfinite(se)], se[np.isfinite(se)])
    close([ours.total_mack_se_], theirs.total_mack_std_err_.values)


@pytest.mark.parametrize("name,tri", PARITY[:3], ids=IDS[:3])
def test_mack_sigma_extrapolation_matches_chainladder(name, tri):
    ours = MackChainLadder(development=Development(sigma_interpolation="mack")).fit(to_engine(tri))
    theirs = cl.MackChainladder().fit(cl.Development(sigma_interpolation="mack").fit_transform(tri))
    close(ours.mack_se_[1:], theirs.mack_std_err_.values[0, 0, 1:, -1])
    close([ours.total_mack_se_], theirs.total_mack_std_err_.values)


def _medmal_with_premium():
    out = []
    for company, paid, incurred, premium in medmal_companies():
        for label, tri in (("paid", paid), ("incurred", incurred)):
            if comparable(tri):
                out.append((f"{company}/{label}", tri, premium))
    return out


MEDMAL = _medmal_with_premium()


@pytest.mark.parametrize("name,tri,premium", MEDMAL, ids=[m[0] for m in MEDMAL])
def test_bornhuetter_ferguson_and_cape_cod_match_chainladder(name, tri, premium):
    ours_tri = to_engine(tri)
    weight = tri.latest_diagonal * 0 + premium[None, None, :, None]
    bf = BornhuetterFerguson(apriori=0.75).fit(ours_tri, exposure=premium)
    theirs = cl.BornhuetterFerguson(apriori=0.75).fit(tri, sample_weight=weight).ultimate_.values.ravel()
    seen = np.isfinite(theirs)
    close(bf.ultimate_[seen], theirs[seen])
    if (premium > 0).all():
        cc = CapeCod(decay=0.8, trend=0.02).fit(ours_tri, exposure=premium)
        theirs = cl.CapeCod(decay=0.8, trend=0.02).fit(tri, sample_weight=weight)
        close(cc.ultimate_, theirs.ultimate_.values.ravel())
        close(cc.apriori_, theirs.apriori_.values.ravel())


@pytest.mark.parametrize("name", ["raa", "genins", "abc"])
def test_bf_and_cape_cod_on_the_samples_match_chainladder(name):
    tri = cl.load_sample(name)
    premium = np.linspace(1.0, 1.6, tri.shape[2]) * float(np.nanmax(tri.values)) * 1.3
    weight = tri.latest_diagonal * 0 + premium[None, None, :, None]
    bf = BornhuetterFerguson(apriori=0.6).fit(to_engine(tri), exposure=premium)
    close(bf.ultimate_, cl.BornhuetterFerguson(apriori=0.6).fit(tri, sample_weight=weight).ultimate_.values)
    cc = CapeCod().fit(to_engine(tri), exposure=premium)
    close(cc.ultimate_, cl.CapeCod().fit(tri, sample_weight=weight).ultimate_.values)


@pytest.mark.parametrize("settings", [
    dict(average="simple"), dict(average="regression"), dict(n_periods=5),
    dict(drop_high=1, drop_low=1), dict(drop=[("1982", 12), ("1985", 36)]),
    dict(average="simple", n_periods=4, drop_high=True),
])
def test_development_options_match_chainladder(settings):
    raa = cl.load_sample("raa")
    ours = MackChainLadder(development=Development(**settings)).fit(to_engine(raa))
    theirs_dev = cl.Development(**settings).fit(raa)
    close(ours.ldf_, theirs_dev.ldf_.values[..., :9])
    close(ours.development_.sigma_, theirs_dev.sigma_.values[..., :9])
    close(ours.development_.std_err_, theirs_dev.std_err_.values[..., :9])
    if "drop_high" not in settings:  # chainladder zeroes the latest diagonal's weights then (a quirk)
        theirs = cl.MackChainladder().fit(theirs_dev.transform(raa))
        close([ours.total_mack_se_], theirs.total_mack_std_err_.values)


def test_tail_constant_matches_chainladder_ultimates_and_mack():
    raa = cl.load_sample("raa")
    ours = MackChainLadder(tail=TailConstant(1.05)).fit(to_engine(raa))
    theirs = cl.MackChainladder().fit(cl.TailConstant(1.05).fit_transform(cl.Development().fit_transform(raa)))
    close(ours.ultimate_, theirs.ultimate_.values)
    close(ours.mack_se_, theirs.mack_std_err_.values[0, 0, :, -1])
    close([ours.total_mack_se_], theirs.total_mack_std_err_.values)


@pytest.mark.parametrize("name", ["raa", "genins", "abc"])
def test_tail_curve_matches_chainladder(name):
    tri = cl.load_sample(name)
    ours = MackChainLadder(tail=TailCurve()).fit(to_engine(tri))
    theirs = cl.MackChainladder().fit(cl.TailCurve().fit_transform(cl.Development().fit_transform(tri)))
    close([ours.tail_], [theirs.cdf_.values[0, 0, 0, tri.shape[3] - 1]])  # CDF at the last age
    close(ours.ultimate_, theirs.ultimate_.values)
    close(ours.mack_se_[1:], theirs.mack_std_err_.values[0, 0, 1:, -1])
    close([ours.total_mack_se_], theirs.total_mack_std_err_.values)


def test_mack_1994_raa_totals():
    raa = to_engine(cl.load_sample("raa"))
    log_linear = MackChainLadder().fit(raa)
    mack = MackChainLadder(development=Development(sigma_interpolation="mack")).fit(raa)
    assert round(log_linear.ibnr_.sum()) == 52135
    assert round(log_linear.total_mack_se_, 2) == 26880.74
    assert round(mack.total_mack_se_) == 26909


def test_a_tail_whose_sigma_extrapolation_diverges_gives_no_standard_error():
    # CAS medmal 43770, case-incurred: two ratios of exactly 1 give sigma 0 at age 96, the
    # log-linear fit through log(1e-320) tilts, and a tail of 1.05 lands where it explodes
    clrd = cl.load_sample("clrd")
    medmal = clrd[clrd["LOB"] == "medmal"]
    company = medmal.iloc[list(medmal.index["GRNAME"]).index("Clinic Mut Ins Co RRG")]
    case_incurred = company["IncurLoss"] - company["BulkLoss"]
    theirs = cl.MackChainladder().fit(cl.TailConstant(1.05).fit_transform(cl.Development().fit_transform(case_incurred)))
    assert float(theirs.total_mack_std_err_.values.ravel()[0]) > 1e30  # chainladder prints it
    tri = to_engine(case_incurred)
    with pytest.raises(EngineError, match=r"Mack's standard error is unusable: the tail's sigma.*diverges"):
        MackChainLadder(tail=TailConstant(1.05)).fit(tri)
    assert MackChainLadder().fit(tri).total_mack_se_ < tri.latest_diagonal.sum()  # no tail: fine
    # a mild extrapolation stays a number (RAA's tail sigma lands inside its sigmas' range)
    assert np.isfinite(MackChainLadder(tail=TailConstant(1.05)).fit(to_engine(cl.load_sample("raa"))).total_mack_se_)


DEGENERATE = [(f"{c}/{label}", tri) for c, paid, inc, _ in medmal_companies()
              for label, tri in (("paid", paid), ("incurred", inc)) if has_all_zero_column(tri)]


def test_there_are_degenerate_medmal_triangles():
    assert len(DEGENERATE) >= 10


@pytest.mark.parametrize("name,tri", DEGENERATE, ids=[d[0] for d in DEGENERATE])
def test_an_all_zero_development_column_is_refused_naming_its_age(name, tri):
    age = int(tri.development[first_all_zero_column(tri)])
    with pytest.raises(DevelopmentError, match=rf"from age {age} to"):
        ChainLadder().fit(to_engine(tri))


def test_zeros_stay_zeros_where_chainladder_reads_them_as_missing():
    # Medical Mutual of Maine, paid: the first origin paid nothing in its first year. A ratio
    # from zero is undefined for both engines, so LDFs agree; a fall *to* zero (Lloyd's
    # incurred) is a real ratio of 0 for us, missing for chainladder.
    lloyds = next(inc for c, _, inc, _ in medmal_companies() if c.startswith("Underwriters At Lloyds"))
    ours = ChainLadder().fit(to_engine(lloyds))
    tri = to_engine(lloyds)
    x, y = tri.values[:, 3], tri.values[:, 4]  # ages 48 → 60
    use = np.isfinite(y) & (x != 0)
    assert (y[use] == 0).any()
    assert ours.ldf_.loc[48] == pytest.approx(y[use].sum() / x[use].sum(), rel=1e-12)
    theirs = cl.Chainladder().fit(lloyds).ldf_.values[0, 0, 0, 3]
    assert ours.ldf_.loc[48] != pytest.approx(theirs, rel=1e-6)
