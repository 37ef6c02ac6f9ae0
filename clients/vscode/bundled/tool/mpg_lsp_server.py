"""Runs the mpg-lsp server bundled with the extension (bundled/libs) on the Python the
extension found. Any Python 3.10 or newer: the bundle carries tree-sitter's native module
for each supported CPython version.

Exit status 3, with one line on stderr, when this Python cannot run it. (Written so that even
Python 2 gets as far as saying so.)
"""

import os
import sys

TOO_OLD = 3


def main():
    version = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info < (3, 10):
        sys.stderr.write(
            "Python %s is too old for mpg-lsp: it needs Python 3.10 or newer\n" % version
        )
        sys.exit(TOO_OLD)
    libs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
    sys.path.insert(0, libs)
    try:
        import tree_sitter  # noqa: F401  (the native part: is there one for this Python?)
    except ImportError as err:
        sys.stderr.write(
            "Python %s cannot run the bundled mpg-lsp (%s); use Python 3.10 to 3.14\n"
            % (version, err)
        )
        sys.exit(TOO_OLD)
    from mpg_lsp.cli import main as mpg_lsp

    sys.exit(mpg_lsp())


if __name__ == "__main__":
    main()
