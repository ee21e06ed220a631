"""What every dashboard shares: a figure shown as an image widget, redrawn fast, a status
line, and a display that also works without a kernel.

Why an image widget: matplotlib draws the figure with Agg into a PNG that an
`ipywidgets.Image` shows. Drawing a whole figure costs about 100 ms (tick labels and text
are slow), so `FigureView` draws the static parts (axes, ticks, labels) once and, for each
frame, pastes them back and draws only the artists that change ("blitting"): about 15 ms,
plus a few ms to encode the PNG.

Why `_repr_mimebundle_`: JupyterLab shows the live widgets; a reader without a kernel
(GitHub, nbconvert HTML) sees the PNG of the current figure stored beside them, and nbval
compares only the short text summary.
"""

from __future__ import annotations

import base64
import io
import time
from collections import OrderedDict

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

PNG_COMPRESS_LEVEL = 1  # fast zlib setting: 3x faster than the default, files ~10% larger


class FigureView:
    """A matplotlib Figure shown in an `ipywidgets.Image`, redrawn by blitting.

    Register the artists that change with `animate(*artists)`; call `redraw()` after
    changing them (fast) or `full_redraw()` after changing anything else, such as axis
    limits or labels (slow, but rare).
    """

    def __init__(self, figsize=(11, 3.6), dpi: int = 80):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        width, height = self.canvas.get_width_height()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px",
                                                                      height=f"{height}px"))
        self._animated = []
        self._background = None
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
        self.canvas.draw()  # Agg skips animated artists here
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.redraw()

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

    def _encode(self) -> bytes:
        width, height = self.canvas.get_width_height()
        rgba = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        rgba.convert("RGB").save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        return buffer.getvalue()


class Dashboard:
    """Controls, a status line and a FigureView, shown as one box.

    Subclasses build `self.controls` (name -> widget), call `self._layout(...)` and draw.
    `set(**values)` changes controls as a reader would (observers run), for tests and
    benchmarks; `timings` records how long each update took to show its first and last frame.
    """

    title = "dashboard"

    def __init__(self, figsize=(11, 3.6), dpi: int = 80):
        self.view = FigureView(figsize, dpi)
        self.figure = self.view.figure
        self.controls: dict = {}
        # The classes let browser tests find the status line and see when an update is done.
        self.status = widgets.HTML(layout=widgets.Layout(min_height="1.6em"),
                                   _dom_classes=("cu-status",))
        self.box = None
        self.timings: list[dict] = []
        self._update_started = None
        self._hold = False  # True while several controls change at once (see set)
        self._cache: OrderedDict = OrderedDict()  # key() -> result, least recently used first
        self._cache_size = 64

    # ---------------------------------------------------------------- layout and display

    def _layout(self, rows, guidance: str) -> None:
        """rows: lists of widgets, one HBox each, above a sentence of guidance, the status
        line and the figure."""
        help_line = widgets.HTML(f"<span style='color:#555'>{guidance}</span>")
        row_layout = widgets.Layout(flex_flow="row wrap", align_items="center")
        self.box = widgets.VBox([*(widgets.HBox(row, layout=row_layout) for row in rows),
                                 help_line, self.status, self.view.image])

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = f"{self.title} (run the notebook to use the controls)"
        if self.view.png:
            data["image/png"] = base64.b64encode(self.view.png).decode("ascii")
        return bundle

    # ---------------------------------------------------------------- status and timing

    def say(self, text: str, level: str = "info") -> None:
        """Set the status line; level "warn" or "bad" colours it."""
        colour = {"info": "#333", "good": "#2e7d32", "warn": "#b26a00", "bad": "#c62828"}[level]
        self.status.value = f"<span style='color:{colour}'>{text}</span>"

    def status_text(self) -> str:
        """The status line without its HTML (for tests)."""
        import re
        return re.sub(r"<[^>]+>", "", self.status.value)

    def _start_update(self) -> None:
        self.status.add_class("cu-busy")
        self._update_started = time.perf_counter()
        self._frames = []

    def _frame_shown(self) -> None:
        if self._update_started is not None:
            self._frames.append(time.perf_counter() - self._update_started)

    def _end_update(self, kind: str) -> None:
        self.status.remove_class("cu-busy")
        if self._update_started is None:
            return
        total = time.perf_counter() - self._update_started
        frames = self._frames or [total]
        self.timings.append({"kind": kind, "first_frame_s": frames[0], "total_s": total,
                             "frames": len(frames)})
        self._update_started = None

    # ---------------------------------------------------------------- remembered settings

    def _recall(self, key):
        """The result remembered for `key` (marked as just used), or None."""
        if key not in self._cache:
            return None
        self._cache.move_to_end(key)
        return self._cache[key]

    def _remember(self, key, result) -> None:
        """Remember a result, forgetting the least recently used beyond `_cache_size`."""
        self._cache[key] = result
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _show_setting(self, compute, show) -> None:
        """The update of most dashboards: show the current setting (`self.key()`) from
        memory if it was seen before (fast), else compute it (compute draws its own
        progress frames and the final one) and remember it. Records the timing."""
        self._start_update()
        key = self.key()
        result = self._recall(key)
        if result is not None:
            show(result)
            self._end_update("cached")
            return
        self._remember(key, compute())
        self._end_update("trained")

    # ---------------------------------------------------------------- controls

    def _watch_controls(self) -> None:
        """Redraw when any control changes (unless several are being set at once)."""
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def _on_change(self, change) -> None:
        if not self._hold:
            self._update_or_say_why()

    def _update_or_say_why(self) -> None:
        """update(), but if it fails the status line says so (the traceback itself goes to
        JupyterLab's log console, where a reader would not look)."""
        try:
            self.update()
        except Exception as error:
            self.status.remove_class("cu-busy")
            self.say(f"Something went wrong: {type(error).__name__}: {error}", "bad")
            raise

    def update(self) -> None:  # pragma: no cover - every dashboard defines it
        raise NotImplementedError

    def set(self, **values) -> None:
        """Change controls by name, then update once (as if a reader had set them all)."""
        unknown = [name for name in values if name not in self.controls]
        if unknown:
            raise ValueError(f"unknown control {', '.join(map(repr, unknown))}; this dashboard "
                             f"has: {', '.join(self.controls)}")
        changed = [name for name, value in values.items() if self.controls[name].value != value]
        self._hold = True
        try:
            for name in changed:
                self.controls[name].value = values[name]
        finally:
            self._hold = False
        if changed:
            self.update()

    def state(self) -> dict:
        """The value of every control, e.g. to come back to this setting with set(**state)."""
        return {name: control.value for name, control in self.controls.items()}
