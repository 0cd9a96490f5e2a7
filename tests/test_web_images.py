"""Web images reduced to screen resolution keep their colours and their transparency."""

from __future__ import annotations

import io

import pikepdf
import weasyprint
from PIL import Image

from issue_builder.editions.web import downsample_images


def test_images_with_alpha_are_reduced_without_garbling(tmp_path):
    picture = Image.new("RGBA", (1200, 1200), (0, 0, 0, 0))
    picture.paste((200, 20, 30, 255), (0, 0, 600, 1200))  # left half opaque red, right half transparent
    picture.save(tmp_path / "half.png")
    html = f'<img src="{(tmp_path / "half.png").as_uri()}" style="width: 2in">'
    pdf = pikepdf.open(io.BytesIO(weasyprint.HTML(string=html).write_pdf()))
    assert downsample_images(pdf, ppi=150, quality=80) == 1
    image = next(x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Image")
    assert (int(image.Width), int(image.Height)) == (300, 300)
    assert len(image.read_bytes()) == 300 * 300 * 3  # three bytes a pixel: the alpha is in the soft mask only
    reduced = pikepdf.PdfImage(image).as_pil_image().convert("RGBA")
    left, right = reduced.getpixel((75, 150)), reduced.getpixel((225, 150))
    assert abs(left[0] - 200) < 8 and left[1] < 40 and left[3] == 255
    assert right[3] == 0
