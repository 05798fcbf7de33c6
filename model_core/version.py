"""The library's version, on its own so that the card (which records it) and the package's
`__init__` (which offers it) can both import it without importing each other."""

__version__ = "0.1.0"
