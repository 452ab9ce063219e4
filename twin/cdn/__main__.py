"""``python -m twin.cdn``: the CDN twin (see ``twin.cdn.server``)."""

import os
import sys
from pathlib import Path

# Read by OpenSSL when the ssl module first loads it: CloudFront's TLS 1.3 suite order.
os.environ.setdefault("OPENSSL_CONF", str(Path(__file__).with_name("openssl.cnf")))

from twin.cdn.server import main

sys.exit(main())
