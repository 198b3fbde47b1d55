"""The benchmark of issue 6 (`make bench`): synthetic sources, the runner and its report. See bench/README.md."""
