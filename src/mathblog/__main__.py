import sys

from mathblog.cli import main

sys.exit(main())
