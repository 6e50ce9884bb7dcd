"""sipdiag: find why SIP calls and registrations fail, from a capture or a pasted trace."""

__version__ = "0.1.0"

# `sipdiag.triage` is the batch-triage package and, called, its function:
# sipdiag.triage(paths, outdir) -> pandas DataFrame (the package imports its work lazily).
from . import triage  # noqa: E402

__all__ = ["__version__", "triage"]
