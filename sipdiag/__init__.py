"""sipdiag: find why SIP calls and registrations fail, from a capture or a pasted trace."""

__version__ = "0.1.0"
