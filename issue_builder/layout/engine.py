"""WeasyPrint, loaded only once fontconfig sees nothing but the committed fonts: import it from here alone."""

import contextlib
import ctypes.util

from issue_builder.layout.fontconfig import isolate_fontconfig


@contextlib.contextmanager
def _libraries_found_in_the_linker_cache():
    """ctypes.util.find_library answering from the dynamic linker's cache alone, while WeasyPrint loads.

    WeasyPrint tries several spellings of each library's name (Windows', macOS', Linux's) and cffi asks
    find_library about each one it cannot load as written. On Linux a miss there runs ldconfig, then gcc, then ld:
    some fifty programs, about 0.1 s at the start of every render. A name the linker's cache (`ldconfig -p`) does
    not hold is left to the next spelling; the last is the library's Linux file name, which dlopen finds wherever
    the system would. Elsewhere find_library is left as it is.
    """
    in_cache = getattr(ctypes.util, "_findSoname_ldconfig", None)  # CPython's Linux lookup
    if in_cache is None:
        yield
        return
    usual, ctypes.util.find_library = ctypes.util.find_library, in_cache
    try:
        yield
    finally:
        ctypes.util.find_library = usual


isolate_fontconfig()  # before WeasyPrint creates its first font configuration

with _libraries_found_in_the_linker_cache():
    import weasyprint
from weasyprint import css, images  # noqa: E402
from weasyprint.formatting_structure import boxes  # noqa: E402
from weasyprint.layout import page as page_layout  # noqa: E402
from weasyprint.text.ffi import ffi  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

__all__ = [
    "FontConfiguration",
    "URLFetcher",
    "URLFetcherResponse",
    "boxes",
    "css",
    "ffi",
    "images",
    "page_layout",
    "weasyprint",
]
