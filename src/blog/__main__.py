import sys

from blog.cli import main

sys.exit(main())
