"""Property tests for escalc: symmetries that must hold for any valid input (fast: few examples)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from evigrade.effects import back_transform, escalc, transform_pft, transform_pft_back

counts = st.integers(min_value=1, max_value=500)
RTOL = 1e-12  # exact algebraic identities; only rounding differs
# Miller's inverse double arcsine evaluates sqrt(1 - (...)^2), which loses about half the digits
# next to p = 0 or 1; 1e-7 relative (1e-9 absolute) is what double precision leaves there.
RTOL_PFT_ROUND_TRIP = 1e-7


@settings(max_examples=40, deadline=None)
@given(a=counts, b=counts, c=counts, d=counts)
def test_swapping_groups_negates_log_or_rr_and_rd(a, b, c, d):
    for m in ("OR", "RR", "RD"):
        t1 = escalc(m, ai=[a], bi=[b], ci=[c], di=[d])
        t2 = escalc(m, ai=[c], bi=[d], ci=[a], di=[b])
        assert_allclose(t1.yi, -t2.yi, rtol=RTOL, atol=1e-15)
        assert_allclose(t1.vi, t2.vi, rtol=RTOL)
        assert np.all(t1.vi > 0)


@settings(max_examples=40, deadline=None)
@given(m1=st.floats(-50, 50), m2=st.floats(-50, 50), s1=st.floats(0.1, 30), s2=st.floats(0.1, 30),
       n1=st.integers(2, 300), n2=st.integers(2, 300))
def test_smd_swaps_sign_and_shrinks_towards_zero(m1, m2, s1, s2, n1, n2):
    t1 = escalc("SMD", m1i=[m1], sd1i=[s1], n1i=[n1], m2i=[m2], sd2i=[s2], n2i=[n2])
    t2 = escalc("SMD", m1i=[m2], sd1i=[s2], n1i=[n2], m2i=[m1], sd2i=[s1], n2i=[n1])
    assert_allclose(t1.yi, -t2.yi, rtol=RTOL, atol=1e-15)
    sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    assert abs(t1.yi[0]) <= abs((m1 - m2) / sp) + 1e-12  # Hedges' correction factor is < 1


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 2000), data=st.data())
def test_pft_back_transform_inverts_forward_transform(n, data):
    x = data.draw(st.integers(0, n))
    p = x / n
    assert_allclose(transform_pft_back(transform_pft(p, n), n), p, rtol=RTOL_PFT_ROUND_TRIP, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0.001, 0.999))
def test_plo_round_trip(p):
    assert_allclose(back_transform("PLO", np.log(p / (1 - p))), p, rtol=1e-12)
