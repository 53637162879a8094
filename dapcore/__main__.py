"""``python -m dapcore``."""

import sys

from dapcore.cli import main

sys.exit(main())
