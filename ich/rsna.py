"""What the RSNA 2019 challenge fixes: the label order, the metric's weights, short names."""

# Five subtypes, then `any` (the OR of the five).
SUBTYPES: tuple[str, ...] = (
    "epidural",
    "intraparenchymal",
    "intraventricular",
    "subarachnoid",
    "subdural",
)
LABELS: tuple[str, ...] = (*SUBTYPES, "any")
# Weights of the RSNA weighted multi-label log loss (docs/metrics.md).
RSNA_WEIGHTS: dict[str, float] = {**{s: 1.0 for s in SUBTYPES}, "any": 2.0}
# Short names used in tables.
SHORT: dict[str, str] = {
    "epidural": "EDH",
    "intraparenchymal": "IPH",
    "intraventricular": "IVH",
    "subarachnoid": "SAH",
    "subdural": "SDH",
}
