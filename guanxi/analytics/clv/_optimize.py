"""Maximum likelihood over log-parameters, shared by the BG/NBD and Gamma-Gamma fits.

Both models are fitted the same way:

1. BFGS on the penalised *mean* negative log-likelihood (so tolerances do not depend on the
   number of customers), in log-parameter space (every parameter is positive), with the analytic
   gradient (``jac=True``), to a gradient of 1e-6;
2. Newton steps with the Hessian taken as a central finite difference of the analytic gradient,
   which polish the optimum to a gradient of 1e-9 (a few steps: Newton converges quadratically
   there);
3. standard errors from the inverse of that Hessian scaled to the total weight (the observed
   information), mapped to natural parameters with the delta method: se(p) = p · se(log p).

Why BFGS and not L-BFGS-B: SciPy's L-BFGS-B calls LAPACK on every iteration, which wakes
OpenBLAS's thread pool; on a busy 2-core machine that made a four-parameter fit 4-10x slower.
BFGS works in NumPy on 4x4 matrices and has no such cost. It has no bounds, so the objective is
evaluated at log-parameters clipped to ±LOG_PARAM_BOUND, and a fit that ends there is reported as
not converged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

GRADIENT_TOLERANCE = 1e-9  # on the mean negative log-likelihood per log-parameter
NEWTON_STEPS = 8
HESSIAN_STEP = 1e-5  # central differences of the gradient in log-parameter space
LOG_PARAM_BOUND = 30.0  # exp(±30): far beyond any sensible value, keeps the optimizer finite


@dataclass(frozen=True)
class Optimum:
    log_params: FloatArray
    mean_objective: float
    gradient_norm: float
    hessian: FloatArray  # of the mean objective, in log-parameter space
    converged: bool
    message: str
    iterations: int


def minimize_mean_objective(objective: Objective, start: FloatArray, *, max_iterations: int = 500) -> Optimum:
    """Minimise `objective(log_params) -> (value, gradient)`; see the module docstring."""
    clipped = _clipped(objective)
    result = minimize(clipped, start, jac=True, method="BFGS", options={"maxiter": max_iterations, "gtol": 1e-6})
    theta = np.clip(np.asarray(result.x, dtype=np.float64), -LOG_PARAM_BOUND, LOG_PARAM_BOUND)
    iterations = int(result.nit)
    if not np.all(np.isfinite(theta)) or not math.isfinite(clipped(theta)[0]):
        return Optimum(np.array(start, dtype=np.float64), math.inf, math.inf, np.full((len(start),) * 2, np.nan),
                       False, "the optimizer produced non-finite values", iterations)
    theta, value, gradient, hessian, polished = _newton_polish(objective, theta)
    gradient_norm = float(np.max(np.abs(gradient)))
    at_bound = bool(np.any(np.abs(theta) >= LOG_PARAM_BOUND - 1e-6))
    positive_definite = _is_positive_definite(hessian)
    if at_bound:
        return Optimum(theta, value, gradient_norm, hessian, False,
                       "a parameter ran off to 0 or infinity (the data do not identify the model)", iterations)
    if not positive_definite:
        return Optimum(theta, value, gradient_norm, hessian, False,
                       "the likelihood is flat or not at a maximum (Hessian not positive definite): "
                       "the data do not identify the model", iterations)
    if gradient_norm > 1e-6 and not polished:
        return Optimum(theta, value, gradient_norm, hessian, False,
                       f"the optimizer stopped before the gradient vanished: {result.message}", iterations)
    return Optimum(theta, value, gradient_norm, hessian, True, "converged", iterations)


def _clipped(objective: Objective) -> Objective:
    def evaluate(theta: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = objective(np.clip(theta, -LOG_PARAM_BOUND, LOG_PARAM_BOUND))
        if not math.isfinite(value):  # lets the line search step back instead of stopping
            return math.inf, np.zeros_like(theta)
        return value, gradient

    return evaluate


def _newton_polish(objective: Objective, theta: FloatArray
                   ) -> tuple[FloatArray, float, FloatArray, FloatArray, bool]:
    """Newton steps with a fixed finite-difference Hessian; a step is kept only if it shrinks the gradient
    (this close to the optimum the objective's changes are at rounding level, the gradient's are not)."""
    value, gradient = objective(theta)
    hessian = finite_difference_hessian(objective, theta)
    polished = float(np.max(np.abs(gradient))) <= GRADIENT_TOLERANCE
    if not _is_positive_definite(hessian):
        return theta, value, gradient, hessian, polished
    for _ in range(NEWTON_STEPS):
        if polished:
            break
        step = solve_positive_definite(hessian, gradient)
        candidate = np.clip(theta - step, -LOG_PARAM_BOUND, LOG_PARAM_BOUND)
        new_value, new_gradient = objective(candidate)
        if not (math.isfinite(new_value) and np.max(np.abs(new_gradient)) < np.max(np.abs(gradient))):
            break
        theta, value, gradient = candidate, new_value, new_gradient
        polished = float(np.max(np.abs(gradient))) <= GRADIENT_TOLERANCE
    return theta, value, gradient, hessian, polished


def finite_difference_hessian(objective: Objective, theta: FloatArray) -> FloatArray:
    """Central differences of the analytic gradient, symmetrised."""
    n = len(theta)
    hessian = np.empty((n, n))
    for k in range(n):
        shift = np.zeros(n)
        shift[k] = HESSIAN_STEP
        hessian[:, k] = (objective(theta + shift)[1] - objective(theta - shift)[1]) / (2 * HESSIAN_STEP)
    return (hessian + hessian.T) / 2


def _is_positive_definite(matrix: FloatArray) -> bool:
    return bool(np.all(np.isfinite(matrix))) and cholesky_lower(matrix) is not None


# 3x3 and 4x4 linear algebra by hand: the first LAPACK call in a process starts OpenBLAS's thread
# pool (~12 ms, measured), which alone made a first CDNOW-sized fit ~2x a warm one.


def cholesky_lower(matrix: FloatArray) -> FloatArray | None:
    """L with L·Lᵀ = matrix, or None if the matrix is not positive definite."""
    n = len(matrix)
    lower = np.zeros((n, n))
    for j in range(n):
        pivot = matrix[j, j] - float(np.sum(lower[j, :j] ** 2))
        if not pivot > 0:
            return None
        lower[j, j] = math.sqrt(pivot)
        for i in range(j + 1, n):
            lower[i, j] = (matrix[i, j] - float(np.sum(lower[i, :j] * lower[j, :j]))) / lower[j, j]
    return lower


def solve_positive_definite(matrix: FloatArray, rhs: FloatArray) -> FloatArray:
    """matrix⁻¹·rhs for a positive definite matrix (forward and back substitution on its Cholesky factor)."""
    lower = cholesky_lower(matrix)
    if lower is None:
        raise ValueError("matrix is not positive definite")
    n = len(rhs)
    y = np.zeros(n)
    for i in range(n):
        y[i] = (rhs[i] - float(np.sum(lower[i, :i] * y[:i]))) / lower[i, i]
    x = np.zeros(n)
    for i in reversed(range(n)):
        x[i] = (y[i] - float(np.sum(lower[i + 1:, i] * x[i + 1:]))) / lower[i, i]
    return x


def weighted_sum(weight: FloatArray, values: FloatArray) -> float:
    """Σ weight·values. einsum, not `@`: a BLAS dot wakes OpenBLAS's thread pool, which on a small busy
    machine costs more than the whole likelihood (measured: fits 10x slower on 2 shared cores)."""
    return float(np.einsum("i,i->", weight, values))


def natural_standard_errors(optimum: Optimum, total_weight: float) -> tuple[FloatArray, FloatArray]:
    """(standard errors, covariance) of exp(log_params) by the delta method; inf where unavailable."""
    n = len(optimum.log_params)
    if not optimum.converged or total_weight <= 0:
        return np.full(n, np.inf), np.full((n, n), np.inf)
    params = np.exp(optimum.log_params)
    information = optimum.hessian * total_weight
    log_covariance = np.column_stack([solve_positive_definite(information, unit) for unit in np.eye(n)])
    covariance = log_covariance * np.outer(params, params)
    return np.sqrt(np.clip(np.diag(covariance), 0.0, None)), covariance
