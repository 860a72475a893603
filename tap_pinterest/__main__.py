"""``python -m tap_pinterest``: the tap's command line."""

from tap_pinterest.tap import TapPinterest

TapPinterest.cli()
