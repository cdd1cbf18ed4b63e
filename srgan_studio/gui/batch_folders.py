"""Where a batch writes (no Qt): the derived output folder, and when to ask before creating one.

The batch window fills the output folder in from the input as it is typed, and
keeps following the input until the user types or browses an output of their
own. Typing ``/tmp/x/in`` one character at a time passes through ``/``, whose
derived folder would be ``/_upscaled`` at the filesystem root; that is why the
output follows every change, and why a path with no folder name derives none.
"""

from __future__ import annotations

from pathlib import Path

SUFFIX = "_upscaled"


def default_output_for(folder: str | Path) -> Path | None:
    """``photos`` -> ``photos_upscaled`` beside it; None for "" or a filesystem root."""
    text = str(folder).strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.name:  # "/" or "C:\\": no folder name to derive from
        return None
    return path.parent / f"{path.name}{SUFFIX}"


def resolved(folder: str | Path) -> Path:
    return Path(str(folder).strip()).expanduser().resolve()


def needs_confirmation(output: str | Path, input_dir: str | Path) -> bool:
    """True when Start would create a new folder outside the input's parent (the user must say yes)."""
    out, parent = resolved(output), resolved(input_dir).parent
    return not out.exists() and not out.is_relative_to(parent)
