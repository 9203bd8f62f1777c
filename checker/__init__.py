"""mlcheck: compliance checks, re-scoring and signed packaging for MLPerf submissions."""

# The one place the version is written: pyproject.toml reads it (tool.setuptools.dynamic), and the
# CLI prints it without importing importlib.metadata (a tenth of a second at every start).
__version__ = "0.1.0"

__all__ = ["__version__"]
