"""Sphinx configuration of the course's static website (`make site`).

scripts/build_site.py copies the stored, executed notebooks and the pages of this folder
into build/site-src/ and runs Sphinx there; nothing is re-executed (the stored outputs are
the ones nbval checks). Everything the pages need is bundled: the theme's files come with
sphinx-book-theme, MathJax with sphinx-mathjax-offline, so the site builds and reads with
no network.
"""

project = "Why deep networks train, or fail to train"
author = "the course's authors"
copyright = "2026, the course's authors (text and figures CC BY 4.0, code MIT)"

extensions = ["myst_nb", "sphinx-mathjax-offline"]

# Notebooks are shown as stored: never executed at build time.
nb_execution_mode = "off"
# $...$ and $$...$$ in the notebooks' markdown, and amsmath environments.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
html_favicon = "favicon.svg"  # also spares the browser a request for /favicon.ico
html_copy_source = False  # the notebooks themselves are in the repository
html_last_updated_fmt = None
# No web fonts or scripts from elsewhere: the theme's own files only.
html_static_path = []
suppress_warnings = ["mystnb.unknown_mime_type"]
# A fixed light theme: the figures are drawn on white (and the theme's "auto" mode, read
# from an empty browser profile, logs a console error).
html_context = {"default_mode": "light"}
