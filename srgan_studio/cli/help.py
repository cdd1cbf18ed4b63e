"""Help text shared by the subcommands: an examples block after the options, kept as written."""

from __future__ import annotations

import argparse

WIDTH = 79  # an 80-column terminal


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual, but keeps the examples epilog's lines and alignment."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def examples(*rows: tuple[str, str]) -> dict:
    """``add_parser`` keywords for an examples block: (command, what it does) rows, aligned."""
    width = max(len(cmd) for cmd, _ in rows)
    if width + 5 + max(len(what) for _, what in rows) <= WIDTH:
        lines = [f"  {cmd:<{width}}   {what}".rstrip() for cmd, what in rows]
    else:  # too wide for a terminal: each explanation under its command
        lines = [f"  {cmd}\n      {what}" for cmd, what in rows]
    return {"epilog": "examples:\n" + "\n".join(lines), "formatter_class": HelpFormatter}
