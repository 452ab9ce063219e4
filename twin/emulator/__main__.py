"""``python -m twin.emulator``: the local AWS endpoint (see ``twin.emulator.server``)."""

import sys

from twin.emulator.server import main

sys.exit(main())
