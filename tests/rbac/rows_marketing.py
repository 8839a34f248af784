"""The role x URL matrix's rows for the marketing app (added to EXPECTED in test_url_matrix.py)."""

from tests.rbac.matrix import Case

ROWS: list[Case] = []
