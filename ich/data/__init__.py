"""From the RSNA download to model inputs: labels, manifest, extraction, splits, batches."""
