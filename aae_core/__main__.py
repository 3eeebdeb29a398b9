"""`python -m aae_core ...`: see aae_core.cli."""

import sys

from aae_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
