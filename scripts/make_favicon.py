"""Write assets/img/favicon-32.png and favicon.ico: the mark of assets/img/favicon.svg drawn
with Pillow, for browsers that take no SVG favicon (and for /favicon.ico).

    .venv/bin/python scripts/make_favicon.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 58, 130, 255)
WHITE = (255, 255, 255, 255)
SCALE = 16  # drawn at 640 px on the SVG's 40-unit grid, then reduced: smooth edges


def mark(size: int) -> Image.Image:
    big = 40 * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def u(value: float) -> int:
        return round(value * SCALE)

    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=u(9), fill=BLUE)
    cx, cy = 13, 27
    draw.ellipse((u(cx - 3.6), u(cy - 3.6), u(cx + 3.6), u(cy + 3.6)), fill=WHITE)
    for radius in (8.5, 16.5):
        # The SVG's arcs: a quarter circle from above the point to its right.
        half = 1.6
        box = (u(cx - radius - half), u(cy - radius - half))
        box_end = (u(cx + radius + half), u(cy + radius + half))
        draw.arc((*box, *box_end), start=270, end=360, fill=WHITE, width=u(3.2))
        for x, y in ((cx, cy - radius), (cx + radius, cy)):  # round caps
            draw.ellipse((u(x - half), u(y - half), u(x + half), u(y + half)), fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    folder = Path(__file__).resolve().parents[1] / "assets" / "img"
    mark(32).save(folder / "favicon-32.png", optimize=True)
    mark(48).save(folder / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
