"""WeasyPrint, loaded only once fontconfig sees nothing but the committed fonts: import it from here alone."""

from issue_builder.layout.fontconfig import isolate_fontconfig

isolate_fontconfig()  # before WeasyPrint creates its first font configuration

import weasyprint  # noqa: E402
from weasyprint import css  # noqa: E402
from weasyprint.formatting_structure import boxes  # noqa: E402
from weasyprint.layout import page as page_layout  # noqa: E402
from weasyprint.text.ffi import ffi  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

__all__ = ["FontConfiguration", "URLFetcher", "URLFetcherResponse", "boxes", "css", "ffi", "page_layout", "weasyprint"]
