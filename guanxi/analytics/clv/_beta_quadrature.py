"""Gauss quadrature for expectations under a Beta(a, B) distribution — the BG/NBD predictions' safety net.

E[Y(t) | alive] = E_p[(1 − (1 + c·p)^−k) / p] with p ~ Beta(a, b + x), c = t / (α + T), k = r + x
(integrate the Poisson part of FHL 2005 eq. 7 over the posterior Gamma(r + x, α + T) of λ). The
integrand is positive, bounded by k·c and increasing in t, and Gauss weights are positive, so the
rule's value is always finite, non-negative and monotone in t — whatever the parameters. It is
used only where the closed form's hypergeometric function fails to give a finite value (extreme
parameters far from any fitted data set); there it is an approximation (the integrand bends
sharply near p = 0 when k·c is in the thousands).

Nodes and weights: Golub-Welsch on the three-term recurrence of the Jacobi polynomials
(weight (1 − s)^(B−1) (1 + s)^(a−1) on [−1, 1]; Golub & Welsch 1969, Math. Comp. 23, 221-230),
mapped to p = (1 + s) / 2; the diagonal is written so that it has no cancellation for large B,
and the weights come normalised (squared first components of the eigenvectors).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.linalg import eigh_tridiagonal

FloatArray = npt.NDArray[np.float64]

NODES = 64


def beta_rule(a: float, b: float, n: int = NODES) -> tuple[FloatArray, FloatArray]:
    """(nodes, weights) on (0, 1) with Σ w f(p) ≈ E[f(p)] for p ~ Beta(a, b)."""
    s = a + b - 2.0  # α_J + β_J with α_J = b − 1, β_J = a − 1
    k = np.arange(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        diagonal = (2 * k * (k + s + 1) + s * a) / ((2 * k + s) * (2 * k + s + 2))
        m = k[1:]
        off_squared = 4 * m * (m + b - 1) * (m + a - 1) * (m + s) / ((2 * m + s) ** 2 * (2 * m + s + 1) * (2 * m + s - 1))
    diagonal[0] = a / (a + b)  # the n = 0 entry without its 0/0 when s = 0
    if n > 1:
        off_squared[0] = 4 * b * a / ((2 + s) ** 2 * (3 + s))  # n = 1 without the 0/0 when s = −1
    nodes, vectors = eigh_tridiagonal(diagonal, np.sqrt(np.clip(off_squared, 0.0, None)) / 2)
    weights = vectors[0] ** 2
    return np.clip(nodes, np.finfo(np.float64).tiny, 1.0), weights / weights.sum()


def expected_purchases_if_alive(r: float, alpha: float, a: float, b: float,
                                t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
    """E[purchases in (T, T + t] | alive, x, T] by quadrature over p (see the module docstring)."""
    out = np.empty_like(t)
    for x_value in np.unique(x):
        rows = x == x_value
        nodes, weights = beta_rule(a, b + x_value)
        c = (t[rows] / (alpha + age[rows]))[:, None]
        integrand = -np.expm1(-(r + x_value) * np.log1p(c * nodes)) / nodes
        out[rows] = np.einsum("ij,j->i", integrand, weights)
    return out
