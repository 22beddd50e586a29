"""The convergence constants shared by ``evigrade.stats.fit`` and the batch engine.

They live here, in a module with no imports, so that the batch engine can use them without
importing ``evigrade.stats`` (and, through it, the whole statistics package).  What they mean and
why they are these values is explained in ``evigrade.stats.fit`` (the one convergence path).
"""
from __future__ import annotations

import sys

__all__ = ["NEWTON_AFTER", "ROUNDING_STOP", "ROOT_RTOL"]

#: Fisher-scoring updates taken exactly as metafor (its default maxiter) before Newton steps take over.
NEWTON_AFTER = 100
#: A step no larger than this multiple of tau2 is at the rounding level of tau2 (a few ulps) and also
#: ends the iteration: with an absolute threshold alone (metafor's rule), tau2 above ~500 could never
#: meet threshold = 1e-12 and the iterates would flip between neighbouring floating-point numbers.
ROUNDING_STOP = 8 * sys.float_info.epsilon
#: relative step at which the safeguarded Newton root finder (PM) stops; shared with the batch engine.
ROOT_RTOL = 1e-13
