"""`FigureView`: a matplotlib Figure shown in an `ipywidgets.Image`, redrawn fast.

Why an image widget: matplotlib draws the figure with Agg into a PNG that an
`ipywidgets.Image` shows. Drawing a whole figure costs about 100 ms (tick labels and text
are slow), so `FigureView` draws the static parts (axes, ticks, labels) once and, for each
frame, pastes them back and draws only the artists that change ("blitting"): about 15 ms,
plus a few ms to encode the PNG.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

PNG_COMPRESS_LEVEL = 1  # fast zlib setting: 3x faster than the default, files ~10% larger


class FigureView:
    """A matplotlib Figure shown in an `ipywidgets.Image`, redrawn by blitting.

    Register the artists that change with `animate(*artists)`; call `redraw()` after
    changing them (fast) or `full_redraw()` after changing anything else, such as axis
    limits or labels (slow, but rare). Static parts that take a few states (a cost axis for
    150 or 600 steps) can each keep their background: `use_background(key)`.
    """

    def __init__(self, figsize=(11, 3.6), dpi: int = 80):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        width, height = self.canvas.get_width_height()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px",
                                                                      height=f"{height}px"))
        self._animated = []
        self._background = None
        # use_background(key): the backgrounds drawn so far, by the name of their static parts
        self._backgrounds: dict = {}
        self._background_key = None
        self.png = b""

    def animate(self, *artists) -> None:
        """Mark artists as changing: they are left out of the saved background."""
        for artist in artists:
            if artist is None:
                continue
            artist.set_animated(True)
            self._animated.append(artist)

    def forget(self, *artists) -> None:
        """Stop tracking artists (after removing them from their axes)."""
        self._animated = [a for a in self._animated if all(a is not b for b in artists)]

    def full_redraw(self) -> None:
        """Draw the static parts, save them as the background, then draw a frame."""
        self.draw_background()
        self.redraw()

    def draw_background(self) -> None:
        """Draw the static parts and save them as the background (kept under the key last
        given to use_background, if any), without sending a frame."""
        self.canvas.draw()  # Agg skips animated artists here
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        if self._background_key is not None:
            self._backgrounds[self._background_key] = self._background

    def use_background(self, key) -> None:
        """The static parts are now those named `key` (e.g. an axis's length): call after
        setting them. A background drawn before under `key` is pasted again, without
        drawing; a new key is drawn by the next redraw() (about 150 ms) and kept. For a
        dashboard whose static parts take a few states, such as a cost axis for each run
        length."""
        if key == self._background_key and self._background is not None:
            return
        self._background_key = key
        self._background = self._backgrounds.get(key)

    def redraw(self) -> None:
        """Paste the background back, draw the changing artists, show the new PNG."""
        if self._background is None:
            self.full_redraw()
            return
        self.canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible() and artist.axes is not None:
                artist.axes.draw_artist(artist)
            elif artist.get_visible():
                self.figure.draw_artist(artist)
        self.png = self._encode()
        self.image.value = self.png

    def invalidate(self) -> None:
        """The static parts changed but need not be drawn now: the next redraw() draws them
        (a show() that changes axis limits or labels calls this, or use_background(key) for
        static parts that take a few states; a stored frame sent meanwhile needs neither)."""
        self._background = None
        self._background_key = None
        self._backgrounds.clear()  # drawn with the old static parts

    def show_png(self, png: bytes) -> None:
        """Show a frame drawn before (the same figure, stored as its PNG), without drawing."""
        self.png = png
        self.image.value = png

    def _encode(self) -> bytes:
        width, height = self.canvas.get_width_height()
        rgba = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        rgba.convert("RGB").save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        return buffer.getvalue()
