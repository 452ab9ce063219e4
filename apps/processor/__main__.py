import sys

from processor.worker import main

sys.exit(main())
