"""Stage 2, load: every cell cast by its Table Schema into the SQLite database being built; bad cells become
problems."""
