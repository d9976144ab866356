"""sin, cos, exp and arctan2 whose results are the same bits on every x86-64 machine.

numpy dispatches its transcendental functions to code for the CPU it finds: float32 sin, cos
and exp give other bits without AVX2 than with it, and arctan2 has an AVX-512 version (SVML).
The phantom evaluates them on every pixel, so a rare last-bit difference flipped a rounded HU
value: 2 of 1,270 synthesized slices differed with numpy's AVX2 code switched off (measured).
These versions use only operations IEEE 754 rounds exactly (add, multiply, divide, sqrt, rint)
in a fixed order, in float64: the classic range reductions and Taylor polynomials, accurate to
1e-12 for |x| < 1000, far below what a float32 phantom can show. They return float32 for
float32 input, as numpy does.
"""

from __future__ import annotations

from math import factorial

import numpy as np

# pi and ln 2 split into a head with trailing zero bits (k * head is exact) and a tail.
PI_HI, PI_LO = 3.14159265346825122833e00, 1.21542010130123844986e-10
LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
# sin r = r + r^3 (S[0] + r^2 (S[1] + ...)) for |r| <= pi/2: Taylor to r^17 (error < 1e-13).
SIN = tuple((-1) ** n / factorial(2 * n + 1) for n in range(1, 9))


def _inverse_factorials(terms: int) -> tuple[float, ...]:
    out = [1.0]
    for n in range(1, terms):
        out.append(out[-1] / n)  # 1/n! by successive division: the values the phantom used
    return tuple(out)


# e^r = sum r^n / n! for |r| <= ln(2)/2, 14 terms: the next is below 1e-17.
EXP = _inverse_factorials(14)
# atan w = w sum (-1)^n w^2n / (2n + 1) for |w| <= tan(pi/16), 13 terms: the next is below 1e-19.
ATAN = tuple((-1) ** n / (2 * n + 1) for n in range(13))


def _horner(x: np.ndarray, coefficients) -> np.ndarray:
    """c0 + x * (c1 + x * (c2 + ...)), in place on one work array."""
    out = x * coefficients[-1]
    for c in reversed(coefficients[1:-1]):
        out += c
        out *= x
    out += coefficients[0]
    return out


def _like(x, result: np.ndarray):
    """float32 for float32 input, like numpy; a float for a scalar."""
    dtype = np.float32 if np.asarray(x).dtype == np.float32 else np.float64
    out = result.astype(dtype, copy=False)
    return out if out.ndim else out[()]


def _sin64(x: np.ndarray) -> np.ndarray:
    """sin of float64 x: x = k pi + r with |r| <= pi/2, sin x = (-1)^k sin r."""
    k = np.rint(x * (1 / np.pi))
    r = x - k * PI_HI
    r -= k * PI_LO
    r2 = r * r
    out = _horner(r2, SIN)
    out *= r2
    out *= r
    out += r
    odd = np.fmod(k, 2) != 0
    return np.negative(out, out=out, where=odd)


def _float64(x) -> np.ndarray:
    """x as a float64 array of at least one dimension (in-place work needs an array)."""
    return np.array(x, np.float64, ndmin=1)


def sin(x):
    return _like(x, _sin64(_float64(x)).reshape(np.shape(x)))


def cos(x):
    """cos x = sin(x + pi/2), the sum rounded once in float64 (an error of 1e-16 |x|)."""
    return _like(x, _sin64(_float64(x) + np.pi / 2).reshape(np.shape(x)))


def exp(x):
    """e**x; below -700 (e**-700 ~ 1e-304) as if -700, above 700 as if 700."""
    v = np.clip(np.asarray(x, np.float64), -700.0, 700.0)
    k = np.rint(v * 1.4426950408889634)  # 1 / ln 2
    r = (v - k * LN2_HI) - k * LN2_LO
    return _like(x, np.ldexp(_horner(r, EXP), k.astype(np.int32)))


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
    a = 2 * w * _horner(w * w, ATAN) + np.where(upper, np.pi / 4, 0.0)
    a = np.where(ay > ax, np.pi / 2 - a, a)
    a = np.where(x < 0, np.pi - a, a)
    return _like(np.float32(0) if single else 0.0, np.where(np.signbit(y), -a, a))
