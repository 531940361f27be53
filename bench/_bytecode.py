"""Bytecode of arterm's own modules before a benchmark spawns ``arterm``.

``pip install -e .`` writes no bytecode for ``src/``; Python writes it on the first import, unless
``PYTHONDONTWRITEBYTECODE`` is set (as on our benchmark machines), in which case every start
compiles arterm's ~100 modules again (~40-90 ms here). ``make demo`` compiles ``src/`` for that
reason (``python -m compileall``, what pip does for a regular install), so the benchmarks measure
the same state: compiled, unless ``--no-compile`` asks for the source as it is.
"""

from __future__ import annotations

import compileall
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def prepare(compile_src: bool) -> str:
    """Compile ``src/`` (only what changed) when asked; say what the spawned processes will load."""
    if compile_src:
        compileall.compile_dir(SRC, quiet=1)
    sources = [p for p in SRC.rglob("*.py")]
    current = sum(1 for p in sources if _cached(p))
    return f"bytecode of src/: {current} of {len(sources)} modules compiled and current"


def _cached(source: Path) -> bool:
    import importlib.util

    pyc = Path(importlib.util.cache_from_source(str(source)))
    return pyc.exists() and pyc.stat().st_mtime >= source.stat().st_mtime
