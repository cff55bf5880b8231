"""hkcq-press: one manuscript, two editions — a print PDF and an EPUB 3."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hkcq-press")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
