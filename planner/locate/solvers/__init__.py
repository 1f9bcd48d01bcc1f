"""Solvers behind every siting model: exact (HiGHS) and fast (greedy + swaps).

The models reduce to three internal problems, all on sparse arrays:

* **benefit** — choose sites ``S`` to maximise
  ``F(S) = sum_i w_i * max(base_i, max_{j in S} B_ij)``. Coverage (MCLP, ``B = 1``
  within the cutoff), distance decay (``B = f(time)``) and p-median
  (``B = M - time``) are all of this form. ``F`` is monotone submodular, so
  greedy has the ``1 - 1/e`` guarantee and, better, every set ``S`` gives the
  *online bound* ``F(OPT) <= F(S) + sum of the p largest marginal gains``
  (Minoux 1978; Leskovec et al. 2007), which the fast solver reports.
* **set cover** — the LSCP and the feasibility checks of p-center.
* the mixed-integer programs for HiGHS, built column-wise from the same arrays
  (no Python object per variable).

Nothing here knows about labels or DataFrames; the model modules translate.
One file per method:

* :mod:`~planner.locate.solvers.problem` — :class:`BenefitProblem`, row helpers,
  :func:`restrict_columns`, :func:`merge_rows`, :func:`row_groups`;
* :mod:`~planner.locate.solvers.greedy` — greedy, swaps and tabu search,
  :func:`rank_order`, :func:`greedy_cover`;
* :mod:`~planner.locate.solvers.mip` — HiGHS: :func:`solve_mip` and the models' MIPs;
* :mod:`~planner.locate.solvers.lagrangian` — the Lagrangian bound of max coverage
  and reduced-cost fixing;
* :mod:`~planner.locate.solvers.pipeline` — max coverage end to end:
  :func:`coverage_fast`, :func:`coverage_exact`, :func:`prove_coverage`, dominance;
* :mod:`~planner.locate.solvers.quota` — max coverage with a minimum of new
  sites per district: :func:`quota_fast`, :func:`check_quota`, :func:`group_rows`.

The compiled inner loops are in :mod:`planner.locate._kernels` (shared with the
models) and the progress reporter in :mod:`planner._progress`.
"""

from planner._progress import Progress, progress_bar
from planner.locate.solvers.greedy import (
    CoverResult,
    FastResult,
    greedy_cover,
    greedy_swap,
    rank_order,
)
from planner.locate.solvers.lagrangian import (
    LagrangianResult,
    coverage_fixing,
    coverage_lagrangian,
    lagrangian_value,
)
from planner.locate.solvers.mip import (
    MipResult,
    assignment_mip,
    cover_mip,
    coverage_mip,
    lp_ipm,
    new_highs,
    solve_mip,
)
from planner.locate.solvers.pipeline import (
    coverage_exact,
    coverage_fast,
    dominated_columns,
    prove_coverage,
)
from planner.locate.solvers.problem import (
    EXACT_NNZ_LIMIT,
    LP_BOUND_NNZ_LIMIT,
    BenefitProblem,
    coverage_pattern,
    csr_of,
    merge_rows,
    restrict_columns,
    row_groups,
)
from planner.locate.solvers.quota import check_quota, group_rows, quota_fast, quota_met

__all__ = [
    "EXACT_NNZ_LIMIT",
    "LP_BOUND_NNZ_LIMIT",
    "BenefitProblem",
    "CoverResult",
    "FastResult",
    "LagrangianResult",
    "MipResult",
    "Progress",
    "assignment_mip",
    "check_quota",
    "cover_mip",
    "coverage_exact",
    "coverage_fast",
    "coverage_fixing",
    "coverage_lagrangian",
    "coverage_mip",
    "coverage_pattern",
    "csr_of",
    "dominated_columns",
    "greedy_cover",
    "greedy_swap",
    "group_rows",
    "lagrangian_value",
    "lp_ipm",
    "merge_rows",
    "new_highs",
    "progress_bar",
    "prove_coverage",
    "quota_fast",
    "quota_met",
    "rank_order",
    "restrict_columns",
    "row_groups",
    "solve_mip",
]
