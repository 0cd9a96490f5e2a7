"""Draw a page of another PDF (marks, proof stamps) over a page, under a fixed resource name."""

from __future__ import annotations

import pikepdf


def stamp_page(
    pdf: pikepdf.Pdf,
    page: pikepdf.Page,
    overlay: pikepdf.Page,
    origin: tuple[float, float],
    name: str,
    artifact: bool = False,
) -> None:
    """Draw `overlay` over `page` as a form XObject with its lower-left corner at `origin` (marked as an artifact,
    outside the structure of a tagged PDF, when `artifact`).

    pikepdf's own overlay names are random (not reproducible), and WeasyPrint shares one resource
    dictionary between pages, so each page's overlay gets a name of its own.
    """
    form = pdf.copy_foreign(overlay.as_form_xobject())
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    if "/XObject" not in page.obj.Resources:
        page.obj.Resources.XObject = pikepdf.Dictionary()
    page.obj.Resources.XObject[f"/{name}"] = form
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    draw = f"q 1 0 0 1 {origin[0]:.4f} {origin[1]:.4f} cm /{name} Do Q"
    page.contents_add(pdf.make_stream(f"Q\n{'/Artifact BMC ' + draw + ' EMC' if artifact else draw}\n".encode()))
