"""The stats core's numerical-failure messages name the quantity that is out of range."""
import warnings

import pytest

from evigrade.errors import EstimationError
from evigrade.stats import meta_analysis


def _fail(yi, vi):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EstimationError) as exc:
            meta_analysis(yi, vi=vi, study=("Ma 2019", "Li 2020", "Cho 2021"))
    return str(exc.value)


def test_extreme_effect_size_names_yi_and_the_study_not_the_variances():
    msg = _fail([1, 2e200, 3], [1, 1, 1])
    assert "tau2 could not be estimated" in msg
    assert "effect sizes (yi)" in msg and "Li 2020" in msg and "2e+200" in msg
    assert "sampling variance" not in msg
    assert "\n" not in msg


def test_extreme_sampling_variance_names_vi_and_is_an_estimation_error_not_a_traceback():
    msg = _fail([1, 2, 3], [1e300, 1e300, 1e300])
    assert "sampling variances (vi)" in msg and "Ma 2019" in msg and "very large" in msg
    assert "effect sizes (yi)" not in msg
