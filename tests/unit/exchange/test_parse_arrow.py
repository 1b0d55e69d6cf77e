"""The pyarrow set lookups of exchange/bookio/parse.py agree with pandas' isin / get_indexer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from exchange.bookio.parse import _str_series, arrow_index_in, arrow_isin


def test_arrow_isin_matches_pandas_isin():
    s = _str_series(pa.array(["P-1", "", "P-3", "P-2", "P-9"]))
    values = _str_series(pa.array(["P-2", "P-3", "P-4"]))
    assert arrow_isin(s, values).tolist() == [False, False, True, True, False]
    assert arrow_isin(s, values).tolist() == s.isin(values).tolist()
    assert arrow_isin(s.iloc[:0], values).dtype == bool


def test_arrow_index_in_matches_get_indexer():
    s = _str_series(pa.array(["P-3", "", "P-2", "P-9", "P-3"]))
    values = _str_series(pa.array(["P-2", "P-3", "P-4"]))
    got = arrow_index_in(s, values)
    assert got.tolist() == [1, -1, 0, -1, 1]
    assert np.array_equal(got, pd.Index(values).get_indexer(s))
    assert arrow_index_in(s.iloc[:0], values).tolist() == []
