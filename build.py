"""Thin entry script: `python build.py [options]` is `leafgen build [options]`."""
import sys

from leafgen.cli import main

if __name__ == "__main__":
    main(["build", *sys.argv[1:]])
