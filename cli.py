"""Thin entry script: `python cli.py ...` is the same as `leafgen ...`."""
from leafgen.cli import main

if __name__ == "__main__":
    main()
