"""Reading time of a notebook, counted rather than guessed: its words of prose at 150 words a
minute (technical text, read with its formulas) and its lines of code at 20 lines a minute,
rounded up to 5 minutes. The time spent on dashboards and exercises comes on top.

    python scripts/reading_time.py notebooks/*.ipynb

The rates are assumptions (careful reading of technical prose, and of code one runs); the
counts are exact. Measured on 0.2.0: 10 minutes for 00 and 45-65 for 01-08, over the
course's aim of 30 (issue 23 asks each notebook to state its time: trim first, then state it).
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import sys

WORDS_PER_MINUTE = 150
CODE_LINES_PER_MINUTE = 20


def counts(path) -> tuple[int, int]:
    """(words of prose, lines of code) in a stored notebook."""
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    words = sum(len(re.findall(r"\w+", "".join(c["source"]))) for c in cells
                if c["cell_type"] == "markdown")
    code = sum(len("".join(c["source"]).splitlines()) for c in cells if c["cell_type"] == "code")
    return words, code


def reading_minutes(path) -> int:
    words, code = counts(path)
    minutes = words / WORDS_PER_MINUTE + code / CODE_LINES_PER_MINUTE
    return 5 * math.ceil(minutes / 5)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        words, code = counts(name)
        print(f"{pathlib.Path(name).name}: {words:,} words, {code} lines of code: "
              f"about {reading_minutes(name)} minutes")
