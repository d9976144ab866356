"""A trained model's probabilities put back on the natural scale (numpy only: evaluate and
explain use it without loading Keras through it).

A model trained on a sample drawn at other label frequencies than the population (the
`sample.positive_ratio` enrichment) learns that sample's prior: its probabilities are too high
for a rare label, whatever its skill. Bayes' rule gives the exact fix for such a prior shift
(Saerens, Latinne & Decaestecker 2002), per label: logit p' = logit p + logit pi_natural -
logit pi_train. It needs no held-out data and leaves every ranking (AUC, AP) unchanged;
recalibrating on a natural-prevalence set would also fix other miscalibration, but the val
split is drawn at the enriched ratio too, and the holdout must stay untouched.
"""

from __future__ import annotations

import numpy as np

from ich.rsna import LABELS

EPS = 1e-7


def logit(x: np.ndarray) -> np.ndarray:
    """log(x / (1 - x)), clipped to EPS from 0 and 1 (the one logit of the project)."""
    x = np.clip(x, EPS, 1 - EPS)
    return np.log(x) - np.log1p(-x)


def prior_shift(p: np.ndarray, train_prior, natural_prior) -> np.ndarray:
    """Probabilities of a model trained at `train_prior` as they are at `natural_prior` (per
    label, in LABELS order)."""
    shift = logit(np.asarray(natural_prior, np.float64)) - logit(
        np.asarray(train_prior, np.float64)
    )
    return 1 / (1 + np.exp(-(logit(np.asarray(p, np.float64)) + shift)))


def natural_scale(p: np.ndarray, card: dict) -> np.ndarray:
    """A model's raw probabilities corrected with the priors on its card (models/
    preprocessing.json); unchanged for models saved before cards carried a training prior."""
    if "train_prior" not in card:
        return p
    train, natural = ([card[k][s] for s in LABELS] for k in ("train_prior", "prior"))
    return prior_shift(p, train, natural)
