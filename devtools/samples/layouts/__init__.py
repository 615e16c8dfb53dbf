"""Forms nobody here has seen: layouts drawn at random from a space.

``draw_file(seed)`` (``files``) draws a template (``space``: arrangement,
label wordings from ``vocabulary``, tick styles, fonts, extra rows), fills it
in for a fictional applicant (``people``), lays it out (``arrange``), writes
it as .docx (``render_docx``) and gives the ground truth (``truth``).
The wordings are written independently of the parser's own label table, so
that the held-out benchmark measures the form, not our generator.
"""
from devtools.samples.layouts.files import DrawnFile, draw_file

__all__ = ["DrawnFile", "draw_file"]
