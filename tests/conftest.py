"""Root of the test tree: makes the shared kits here (``browser_kit``) importable from
every test directory (pytest puts this folder on ``sys.path`` for this conftest)."""
