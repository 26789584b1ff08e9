"""``python -m nets``: the ``minigrad`` command line (see ``nets.cli``)."""
import sys

from nets.cli import main

sys.exit(main())
