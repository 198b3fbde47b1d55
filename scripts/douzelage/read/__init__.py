"""Stage 1, read: the hand-curated CSV files of sources/ to text rows, with file, line and column of every cell."""
