"""Child process of ``arterm demo``: reads the generator's arguments (a pickle) on stdin and writes
each chunk of prepared rows to stdout as a pickle (see ``generate._chunks_from_process``)."""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    from .generate import _chunks

    args = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for item in _chunks(*args):
        pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    main()
