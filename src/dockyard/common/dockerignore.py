""".dockerignore: Docker's patterns (Go filepath.Match plus ``**``, ``!`` exceptions).

Stdlib only: the CLI uses it to tar a build context and must start fast.
"""

from __future__ import annotations

import posixpath
import re


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus ``**``) as a regex on slash paths."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i : i + 2] == "**":
                i += 2
                if pattern[i : i + 1] == "/":
                    i += 1
                    out.append("(.*/)?")
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body[:1] in ("^", "!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.append("(/.*)?$")  # a matched directory excludes everything below it
    return re.compile("".join(out), re.S)


class DockerIgnore:
    def __init__(self, text: str = "") -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        self.has_negations = False
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:].strip()
            line = posixpath.normpath(line).lstrip("/")
            if line in ("", "."):
                continue
            self.rules.append((negate, _pattern_regex(line)))
            self.has_negations = self.has_negations or negate

    def excluded(self, rel: str) -> bool:
        result = False
        for negate, regex in self.rules:
            if regex.match(rel):
                result = not negate
        return result

    @classmethod
    def of_context(cls, context: str) -> DockerIgnore:
        """The rules of <context>/.dockerignore (none when there is no such file)."""
        try:
            with open(posixpath.join(context, ".dockerignore")) as f:
                return cls(f.read())
        except FileNotFoundError:
            return cls()
