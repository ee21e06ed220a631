"""Run the browser tests, or say clearly why they are skipped (make test calls this).

They need Chromium (Debian: `apt-get install chromium`, at /usr/bin/chromium); Playwright
drives it (`playwright install` cannot download browsers here, so we use the system one).
"""

from __future__ import annotations

import pathlib
import shutil
import sys

import pytest

HERE = pathlib.Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"


def main(argv) -> int:
    if not pathlib.Path(CHROMIUM).exists() and not shutil.which("chromium"):
        print("\n*** Browser tests SKIPPED: Chromium not found at /usr/bin/chromium. "
              "Install it (Debian/Ubuntu: sudo apt-get install chromium) to run them; "
              ".ci/run installs it. ***\n")
        return 0
    return pytest.main(["-p", "no:cacheprovider", "-q", str(HERE), *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
