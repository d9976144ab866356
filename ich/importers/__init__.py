"""Labelled real datasets in other layouts -> the RSNA 2019 layout that every stage reads."""
