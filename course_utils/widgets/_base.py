"""What every dashboard shares, written once: controls -> the run's key -> a remembered
result or a new run drawn progressively -> a status line in words.

A dashboard declares
- its controls (`self.controls`, name -> widget) and their layout (`self._layout`);
- its panels (course_utils.widgets.panels), built once on `self.figure`;
- `compute()`: make the result of the current setting (train, drawing progress frames with
  `self.throttled(...)`), and `show(result)`: put a result on the panels, then `self.frame()`.
The base class does the rest: `update()` looks the setting's key up among the remembered
results (`key()`: the control values exactly as the controls hold them) and shows it, or
computes it and remembers it (least recently used forgotten beyond `cache_size`); `set()`
changes controls as a reader would; `timings` records how long each update took to show
its first and last frame.

The frame last shown at each position of the controls is kept too (its PNG): coming back
to a position, `show(result)` still puts the result on the panels (cheap: new data for the
artists), but the figure is not drawn and encoded again, the stored frame is sent. Drawing
text and encoding the PNG cost 10-60 ms a frame; the stored frame is the same picture,
since what a dashboard draws depends only on its result and its controls. (Frames are kept
by every control's value, not by key(): a key may leave out a control that changes only
the drawing, as the gradient-checking dashboard's eps does.)

Why `_repr_mimebundle_`: JupyterLab shows the live widgets; a reader without a kernel
(GitHub, nbconvert HTML) sees the PNG of the current figure stored beside them, and nbval
compares only the short text summary.
"""

from __future__ import annotations

import base64
import re
import time
from collections import OrderedDict

import ipywidgets as widgets

from ..plotting import colour_of
from .figure import FigureView

FRAME_SECONDS = 0.15  # while training, at most one progress frame this often


class Dashboard:
    """Controls, a status line and a FigureView, shown as one box.

    Subclasses build `self.controls` (name -> widget), call `self._layout(...)`, build their
    panels, and define `compute()` and `show(result)` (or `update()` itself, for a
    dashboard whose every move is fast). `set(**values)` changes controls as a reader would
    (observers run), for tests and benchmarks.
    """

    title = "dashboard"

    def __init__(self, figsize=(11, 3.6), dpi: int = 80, cache_size: int = 64):
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
        self._cache_size = cache_size
        # every control's value -> the PNG last shown there, least recently used first
        self._frames_shown: OrderedDict = OrderedDict()
        self._replay = None  # while showing a remembered setting: its stored PNG

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
        colour = "#333" if level == "info" else colour_of(level)  # the palette's good/warn/bad
        self.status.value = f"<span style='color:{colour}'>{text}</span>"

    def status_text(self) -> str:
        """The status line without its HTML (for tests)."""
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

    def _keep_frame(self, position: tuple) -> None:
        """Keep the frame now shown as the one for `position` (every control's value)."""
        self._frames_shown[position] = self.view.png
        self._frames_shown.move_to_end(position)
        while len(self._frames_shown) > self._cache_size:
            self._frames_shown.popitem(last=False)

    def _show_stored(self, position: tuple, result) -> None:
        """show(result), sending the frame stored for `position` (if any) instead of drawing."""
        self._replay = self._frames_shown.get(position)
        try:
            self.show(result)
        finally:
            self._replay = None

    # ---------------------------------------------------------------- one setting

    def key(self) -> tuple:
        """What identifies the current setting's result: every control's value, exactly as
        the control holds it (rounding could merge two settings set from Python). A
        dashboard whose result ignores a control in some settings overrides this."""
        return tuple(self.state().values())

    def update(self) -> None:
        """Show the current setting: from memory if it was seen before (fast), else
        `compute()` it (which draws its own progress frames and the final one) and remember
        it. Records the timing."""
        self._start_update()
        key, position = self.key(), tuple(self.state().values())
        result = self._recall(key)
        if result is not None:
            self._show_stored(position, result)
            self._keep_frame(position)
            self._end_update("cached")
            return
        self._remember(key, self.compute())
        self._keep_frame(position)
        self._end_update("trained")

    def compute(self):  # pragma: no cover - every dashboard that uses update() defines it
        """Make the current setting's result, showing progress frames; return the result."""
        raise NotImplementedError

    def show(self, result) -> None:  # pragma: no cover - likewise
        """Put `result` on the panels, then call `self.frame(status, level)`."""
        raise NotImplementedError

    def frame(self, status: str, level: str = "info") -> None:
        """The last step of every show(): the figure's new frame (the stored one, when
        update() is showing a remembered setting), then the status line. The frame goes
        first: the page handles messages in order, and a changed text costs it a layout."""
        if self._replay is not None:
            self.view.show_png(self._replay)
        else:
            self.view.redraw()
        self._frame_shown()
        self.say(status, level)

    @staticmethod
    def throttled(draw, seconds: float = FRAME_SECONDS):
        """`draw`, called at most once every `seconds` (later calls in between are
        skipped): e.g. a `train(callback=...)` that draws progress frames. Frames cost tens
        of ms, so drawing at every callback would slow the run more than it shows."""
        last_frame = time.perf_counter()

        def callback(*args):
            nonlocal last_frame
            if time.perf_counter() - last_frame >= seconds:
                draw(*args)
                last_frame = time.perf_counter()

        return callback

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
            self._update_or_say_why()  # as a reader's move: a failure is said on the status

    def state(self) -> dict:
        """The value of every control, e.g. to come back to this setting with set(**state)."""
        return {name: control.value for name, control in self.controls.items()}
