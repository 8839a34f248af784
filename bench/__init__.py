"""The benchmark of issue 7: `manage.py bench --size S|M|L` (see bench/management/commands/bench.py)."""
