"""Each slice's neighbours in its series: what the context channels and the HU features' slices
above and below read. No Keras here, so the data stages can use it."""

from __future__ import annotations

import numpy as np
import pandas as pd


def neighbour_rows(index: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each array row, the rows of the previous and next slice of its series (by z).

    The first and last slice of a series are their own missing neighbour.
    """
    order = index.sort_values(["SeriesInstanceUID", "position"])
    rows = order["row"].to_numpy()
    same_prev = (
        order["SeriesInstanceUID"].to_numpy()[1:] == order["SeriesInstanceUID"].to_numpy()[:-1]
    )
    prev, nxt = rows.copy(), rows.copy()
    prev[1:][same_prev] = rows[:-1][same_prev]
    nxt[:-1][same_prev] = rows[1:][same_prev]
    # Indexed by array row; rows of rejected files (blank, never asked for) point to themselves.
    size = int(rows.max()) + 1 if len(rows) else 0
    out_prev, out_next = np.arange(size), np.arange(size)
    out_prev[rows], out_next[rows] = prev, nxt
    return out_prev, out_next
