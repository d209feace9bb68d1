"""`python -m core_practice_twenty.cli`: what the `cpt` script runs."""

import sys

from core_practice_twenty.cli import main

sys.exit(main())
