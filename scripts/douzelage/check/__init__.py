"""Stage 4, check: the rules across rows and tables (rules.py), the cross-check of positions against GeoNames
(crosscheck.py, used by the record tests), and the strict lint of the sources descriptor and of what the build
publishes about itself (lint.py)."""
