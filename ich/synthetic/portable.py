"""sin, cos, exp and arctan2 whose results are the same bits on every x86-64 machine.

numpy dispatches its transcendental functions to code for the CPU it finds: float32 sin, cos
and exp give other bits without AVX2 than with it, and arctan2 has an AVX-512 version (SVML).
The phantom evaluates them on every pixel, so a rare last-bit difference flipped a rounded HU
value: 2 of 1,270 synthesized slices differed with numpy's AVX2 code switched off (measured).
These versions use only operations IEEE 754 rounds exactly (add, multiply, divide, sqrt, rint)
in a fixed order, in float64: the classic range reductions and polynomials (fdlibm's
coefficients), accurate to a few units in the last place of a float64, far below what a
float32 phantom can show. They return float32 for float32 input, as numpy does.
"""

from __future__ import annotations

import numpy as np

# pi/2 and ln 2 split into a head with trailing zero bits (k * head is exact) and a tail.
PIO2_HI, PIO2_LO = 1.57079632673412561417e00, 6.07710050650619224932e-11
LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
SIN = (
    -1.66666666666666324348e-01,
    8.33333333332248946124e-03,
    -1.98412698298579493134e-04,
    2.75573137070700676789e-06,
    -2.50507602534068634195e-08,
    1.58969099521155010221e-10,
)
COS = (
    4.16666666666666019037e-02,
    -1.38888888888741095749e-03,
    2.48015872894767294178e-05,
    -2.75573143513906633035e-07,
    2.08757232129817482790e-09,
    -1.13596475577881948265e-11,
)
EXP_TERMS = 14  # Taylor terms for |r| <= ln(2)/2: the next is below 1e-17
ATAN_TERMS = 13  # odd Taylor terms for |w| <= tan(pi/16): the next is below 1e-19


def _horner(x: np.ndarray, coefficients) -> np.ndarray:
    """c0 + x * (c1 + x * (c2 + ...))."""
    out = np.full_like(x, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        out = out * x + c
    return out


def _like(x, result: np.ndarray):
    """float32 for float32 input, like numpy; a float for a scalar."""
    dtype = np.float32 if np.asarray(x).dtype == np.float32 else np.float64
    out = result.astype(dtype)
    return out if out.ndim else out[()]


def _sincos(x) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(sin r, cos r, k odd, k mod 4 >= 2) with x = k pi/2 + r, |r| <= pi/4."""
    x = np.asarray(x, np.float64)
    k = np.rint(x * (2 / np.pi))
    r = (x - k * PIO2_HI) - k * PIO2_LO
    r2 = r * r
    s = r + r * r2 * _horner(r2, SIN)
    c = (1.0 - 0.5 * r2) + r2 * r2 * _horner(r2, COS)
    q = k.astype(np.int64)
    return s, c, (q & 1).astype(bool), (q & 2).astype(bool)


def sin(x):
    s, c, odd, negative = _sincos(x)
    out = np.where(odd, c, s)
    return _like(x, np.negative(out, out=out, where=negative))


def cos(x):
    s, c, odd, negative = _sincos(x)
    out = np.where(odd, s, c)  # cos(r + pi/2) = -sin r: negative in quadrants 1 and 2
    return _like(x, np.negative(out, out=out, where=odd != negative))


def exp(x):
    """e**x; below -700 (e**-700 ~ 1e-304) as if -700, above 700 as if 700."""
    v = np.clip(np.asarray(x, np.float64), -700.0, 700.0)
    k = np.rint(v * 1.4426950408889634)  # 1 / ln 2
    r = (v - k * LN2_HI) - k * LN2_LO
    inverse_factorials = [1.0]
    for n in range(1, EXP_TERMS):
        inverse_factorials.append(inverse_factorials[-1] / n)
    return _like(x, np.ldexp(_horner(r, inverse_factorials), k.astype(np.int32)))


def arctan2(y, x):
    """The angle of (x, y) in [-pi, pi]; float32 when both inputs are."""
    single = np.asarray(y).dtype == np.float32 and np.asarray(x).dtype == np.float32
    y, x = np.asarray(y, np.float64), np.asarray(x, np.float64)
    ax, ay = np.abs(x), np.abs(y)
    big, small = np.maximum(ax, ay), np.minimum(ax, ay)
    t = np.divide(small, big, out=np.zeros_like(big), where=big > 0)  # in [0, 1]
    upper = t > np.sqrt(2) - 1  # atan t = pi/4 + atan((t - 1) / (t + 1))
    u = np.where(upper, (t - 1) / (t + 1), t)  # |u| <= tan(pi/8)
    w = u / (1 + np.sqrt(1 + u * u))  # atan u = 2 atan w, |w| <= tan(pi/16)
    odd = [(-1) ** n / (2 * n + 1) for n in range(ATAN_TERMS)]
    a = 2 * w * _horner(w * w, odd) + np.where(upper, np.pi / 4, 0.0)
    a = np.where(ay > ax, np.pi / 2 - a, a)
    a = np.where(x < 0, np.pi - a, a)
    return _like(np.float32(0) if single else 0.0, np.where(np.signbit(y), -a, a))
