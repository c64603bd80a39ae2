"""Command words -> "module:function" for every command beyond the system ones."""

COMMANDS: dict[str, str] = {}
