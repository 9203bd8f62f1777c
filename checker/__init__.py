"""mlcheck: compliance checks, re-scoring and signed packaging for MLPerf submissions."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlcheck")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
