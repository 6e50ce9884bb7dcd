"""SIP and SDP: bytes → `SipMessage` or `Anomaly`. Sans-I/O: no files, no sockets."""

from .message import Anomaly, SipMessage
from .parser import parse_message

__all__ = ["Anomaly", "SipMessage", "parse_message"]
