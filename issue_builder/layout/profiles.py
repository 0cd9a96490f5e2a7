"""Output profiles: what distinguishes the print, web and proof editions, as data in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputProfile:
    """How one edition is rendered and written."""

    name: str
    description: str
    bleed: bool  # pages extend beyond the trim by the publication's bleed
    colour_model: str  # "cmyk": colours as device-cmyk(); "rgb": sRGB hex
    srgb_images: bool  # convert CMYK, LAB and 16-bit images to sRGB for the screen
    tagged: bool  # structure tree for screen readers
    links: bool  # clickable links and contents
    pdf_x: bool = False  # finish as PDF/X-4: CMYK through the output profile, our marks, output intent
    web_finish: bool = False  # images reduced to the publication's web resolution, sRGB intent, PDF/UA, metadata
    check_resolution: bool = False  # images placed below the printing.warn_ppi / min_ppi are reported
    proof_stamp: bool = False  # PROOF watermark and a slug naming the build on every page
    sectioned: bool = False  # laid out article by article, kept by content hash: quick to update while editing
    pdf_variant: str | None = None


PROFILES: dict[str, OutputProfile] = {
    "print": OutputProfile(
        name="print",
        description="print PDF for the printer: PDF/X-4, trim + bleed, marks, CMYK only, full-resolution images",
        bleed=True,
        colour_model="cmyk",
        srgb_images=False,
        tagged=False,
        links=False,
        pdf_x=True,
        check_resolution=True,
    ),
    "web": OutputProfile(
        name="web",
        description="web PDF for readers: trimmed, sRGB, images at about 150 ppi, links, bookmarks, tags",
        bleed=False,
        colour_model="rgb",
        srgb_images=True,
        tagged=True,
        links=True,
        web_finish=True,
    ),
    "proof": OutputProfile(
        name="proof",
        description="proof PDF for production staff: trimmed pages, PROOF watermark, slug with build and page",
        bleed=False,
        colour_model="rgb",
        srgb_images=True,
        tagged=False,
        links=True,
        proof_stamp=True,
        sectioned=True,
    ),
}

DEFAULT_PROFILES = ("print", "web")
