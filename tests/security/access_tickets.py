"""The access suite's stranger versions (and reasons for rows with nothing of anyone's to name)
for the tickets app's rows; tests/security/test_access.py merges them into its tables."""

from tests.security.versions import Version

VERSIONS: dict[str, tuple[Version, ...]] = {}
NOTHING_TO_NAME: dict[str, str] = {}
