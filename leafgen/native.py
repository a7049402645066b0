"""Native libraries found without a compiler.

ctypes.util.find_library, when the linker cache does not know a name, runs gcc and ld,
which write files in the temporary folder. WeasyPrint (through cffi) asks for names that
are not Linux's first ("libgobject-2.0-0" is Windows'), so every PDF render did that:
seen with strace, a family pack wrote 40 temporary files besides its zip. Every library
leafgen loads is in the linker cache (`ldconfig -p`), which answers the same names the
same way (checked for each name WeasyPrint asks for), so on Linux only it is asked."""
from __future__ import annotations

import ctypes.util
import sys


def use_linker_cache_only() -> None:
    """Make ctypes.util.find_library ask only the linker cache (Linux; elsewhere nothing
    changes). Call before importing a library that loads native code by name."""
    from_cache = getattr(ctypes.util, "_findSoname_ldconfig", None)
    if sys.platform.startswith("linux") and from_cache is not None:
        ctypes.util.find_library = from_cache
