import sys

from processor.app import main

sys.exit(main())
