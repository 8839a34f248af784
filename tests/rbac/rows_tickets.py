"""The role x URL matrix's rows for the tickets app (added to EXPECTED in test_url_matrix.py)."""

from tests.rbac.matrix import Case

ROWS: list[Case] = []
