"""Old spellings of options, kept working with a note that names the new one (one flag, one meaning)."""

from __future__ import annotations

import argparse
import sys


class DeprecatedAlias(argparse.Action):
    """``--old VALUE``: stores VALUE where ``--new`` does, and says to use ``--new`` instead."""

    def __init__(self, option_strings, dest, new: str, **options) -> None:
        super().__init__(option_strings, dest, **options)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"note: {option_string} is the old spelling of {self.new} here; it still works, but use {self.new}",
              file=sys.stderr)
        setattr(namespace, self.dest, values)
