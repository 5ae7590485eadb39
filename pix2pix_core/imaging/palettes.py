"""The colours a drawing is made of: black-on-white edges, the CMP Facades labels, the Cityscapes labels.

One table per kind of input a translator expects. The sketch pad draws with these exact values (no anti-aliasing,
so every pixel is one of them), a blank canvas is filled with the palette's ``blank`` colour, and what differs from
it is "drawn" (the Sketch node's mask). Sources:

- facades: the 12 label colours of the facades editor in affinelayer/pix2pix-tensorflow's interactive demo
  (``server/static/index.html``), the page its ``facades_BtoA.pict`` translator was made for; its canvas starts as
  "wall", as here.
- cityscapes: ``cityscapesscripts/helpers/labels.py`` (mcordts/cityscapesScripts), one entry per distinct colour
  with its label id (the ids pix2pixHD's label maps hold); ids 1-4 share unlabeled's black and are left out, as
  are polegroup and license plate (the colours of pole and car).
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class PaletteColour:
    name: str
    rgb: RGB
    label_id: int | None = None  # the dataset's class id, where label maps hold ids

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


@dataclass(frozen=True)
class Palette:
    name: str
    title: str
    colours: tuple[PaletteColour, ...]
    blank: str  # the colour of an empty canvas (and what the eraser paints)
    pen: str  # the colour selected at first

    def colour(self, name: str) -> PaletteColour:
        return next(colour for colour in self.colours if colour.name == name)

    @property
    def blank_rgb(self) -> RGB:
        return self.colour(self.blank).rgb

    def as_json(self) -> dict:
        return {"name": self.name, "title": self.title, "blank": self.blank, "pen": self.pen,
                "colours": [{"name": c.name, "hex": c.hex, "rgb": list(c.rgb), "label_id": c.label_id}
                            for c in self.colours]}


def _colours(*entries: tuple) -> tuple[PaletteColour, ...]:
    return tuple(PaletteColour(*entry) for entry in entries)


EDGES = Palette("edges", "edges: black lines on white (edges2cats, edges2shoes, edges2handbags)",
                _colours(("line", (0, 0, 0)), ("paper", (255, 255, 255))), blank="paper", pen="line")

FACADES = Palette("facades", "CMP Facades labels (facades BtoA: labels -> photo)", _colours(
    ("background", (0, 6, 217)), ("wall", (13, 61, 251)), ("door", (165, 0, 0)), ("window", (0, 117, 255)),
    ("window sill", (104, 248, 152)), ("window head", (29, 255, 221)), ("shutter", (238, 237, 40)),
    ("balcony", (184, 255, 56)), ("trim", (255, 146, 4)), ("cornice", (255, 68, 1)), ("column", (246, 0, 1)),
    ("entrance", (0, 201, 255)),
), blank="wall", pen="window")

CITYSCAPES = Palette("cityscapes", "Cityscapes labels (labels -> street scene, pix2pixHD)", _colours(
    ("unlabeled", (0, 0, 0), 0), ("dynamic", (111, 74, 0), 5), ("ground", (81, 0, 81), 6),
    ("road", (128, 64, 128), 7), ("sidewalk", (244, 35, 232), 8), ("parking", (250, 170, 160), 9),
    ("rail track", (230, 150, 140), 10), ("building", (70, 70, 70), 11), ("wall", (102, 102, 156), 12),
    ("fence", (190, 153, 153), 13), ("guard rail", (180, 165, 180), 14), ("bridge", (150, 100, 100), 15),
    ("tunnel", (150, 120, 90), 16), ("pole", (153, 153, 153), 17), ("traffic light", (250, 170, 30), 19),
    ("traffic sign", (220, 220, 0), 20), ("vegetation", (107, 142, 35), 21), ("terrain", (152, 251, 152), 22),
    ("sky", (70, 130, 180), 23), ("person", (220, 20, 60), 24), ("rider", (255, 0, 0), 25),
    ("car", (0, 0, 142), 26), ("truck", (0, 0, 70), 27), ("bus", (0, 60, 100), 28), ("caravan", (0, 0, 90), 29),
    ("trailer", (0, 0, 110), 30), ("train", (0, 80, 100), 31), ("motorcycle", (0, 0, 230), 32),
    ("bicycle", (119, 11, 32), 33),
), blank="unlabeled", pen="road")

PALETTES: dict[str, Palette] = {palette.name: palette for palette in (EDGES, FACADES, CITYSCAPES)}


def palettes_json() -> dict:
    """Every palette as the sketch pad reads it (``GET /pix2pix/palettes``)."""
    return {name: palette.as_json() for name, palette in PALETTES.items()}
