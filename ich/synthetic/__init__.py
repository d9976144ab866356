"""The embedded default dataset: an analytic head phantom rendered into the RSNA layout."""
