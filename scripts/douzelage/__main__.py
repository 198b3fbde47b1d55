"""`python -m douzelage`: the same command line as `douzelage`."""

from douzelage.cli import main

main()
