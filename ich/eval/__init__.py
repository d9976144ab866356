"""Judging a model on the holdout: metrics, baselines, evaluation, plots, comparison."""
