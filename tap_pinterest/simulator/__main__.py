"""`python -m tap_pinterest.simulator`: the same as `tap-pinterest-sim`."""

import sys

from tap_pinterest.simulator.cli import main

sys.exit(main())
