"""hkcq-press: one manuscript, two editions — a print PDF and an EPUB 3."""


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata only when asked for: importing
    importlib.metadata takes longer than the rest of `hkcq-press --help`."""
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hkcq-press")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
