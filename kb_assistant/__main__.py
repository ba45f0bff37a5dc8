"""`python -m kb_assistant` runs the command line."""

import sys

from kb_assistant.cli import main

sys.exit(main())
