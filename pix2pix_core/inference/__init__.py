"""Running a translator: the translation engine, tiling, memory estimates, test-time modes, precision, colorize
and the realism critic."""
