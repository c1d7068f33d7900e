"""The kit's version, in one place: the package, the CLI and the report's stamp read it."""

__version__ = "0.1.0"
