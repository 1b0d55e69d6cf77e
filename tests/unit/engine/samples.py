"""Triangles the engine tests share: RAA (Mack 1993; chainladder's and R ChainLadder's `raa`)
typed in, and the staircase builder the typed-in triangles need."""
from __future__ import annotations

import numpy as np

from reserving.engine import Triangle

RAA = [
    [5012, 8269, 10907, 11805, 13539, 16181, 18009, 18608, 18662, 18834],
    [106, 4285, 5396, 10666, 13782, 15599, 15496, 16169, 16704],
    [3410, 8992, 13873, 16141, 18735, 22214, 22863, 23466],
    [5655, 11555, 15766, 21266, 23425, 26083, 27067],
    [1092, 9565, 15836, 22169, 25955, 26180],
    [1513, 6445, 11702, 12935, 15852],
    [557, 4020, 10946, 12314],
    [1351, 6947, 13112],
    [3133, 5395],
    [2063],
]


def staircase(rows) -> np.ndarray:
    """Rows of a cumulative triangle (each shorter than the one before) as an array, NaN beyond."""
    values = np.full((len(rows), len(rows[0])), np.nan)
    for i, row in enumerate(rows):
        values[i, :len(row)] = row
    return values


def triangle(rows, **kwargs) -> Triangle:
    return Triangle.from_array(staircase(rows), **kwargs)


def raa_annual() -> Triangle:
    return triangle(RAA, origins=range(1981, 1991), ages=range(12, 121, 12))
