"""``python -m srgan_studio.cli ARGS``, what torchrun launches: the same as ``srgan-studio ARGS``."""

import sys

from . import main

sys.exit(main())
