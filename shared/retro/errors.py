"""The one exception type for problems a user can fix (bad YAML, missing data, unreadable files).

Anything else that escapes the kit is a bug and is reported as one. The CLI prints each problem on its own
line and exits with code 2, before anything under outputs/ is touched.
"""

from __future__ import annotations

MAX_LINE = 1000  # characters of one problem line: a value pasted into a message never floods the terminal


def bounded(line: str, limit: int = MAX_LINE) -> str:
    """One line of at most ``limit`` characters (cut with "…")."""
    line = " ".join(str(line).splitlines())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class RetroError(Exception):
    """A problem the user can fix; ``problems`` holds one line per problem, each bounded in length."""

    exit_code = 2

    def __init__(self, problems: list[str] | str):
        self.problems = [bounded(p) for p in ([problems] if isinstance(problems, str) else problems)]
        super().__init__("\n".join(self.problems))


class ParamsError(RetroError):
    """The campaign YAML is unreadable or invalid."""


class DataError(RetroError):
    """A data source is missing, unreadable or does not fit the canonical tables."""


class SectionMissingData(RetroError):
    """A section cannot run because a table it needs is not configured."""
