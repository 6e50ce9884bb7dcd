"""SD505 pbx-log-error: ERROR lines (and known WARNINGs) in the PBX log the trace came with."""

from __future__ import annotations

import re

from .base import Rule, register

EXPLAINED = {
    "dtls-certificate": ("Asterisk could not load the DTLS certificate/private key: WebRTC (DTLS-SRTP) media "
                         "cannot be set up, calls connect without audio or fail.",
                         "Fix dtls_cert_file / dtls_private_key on the endpoint (readable PEM files, key "
                         "matching the certificate), or dtls_auto_generate_cert=yes; then `module reload "
                         "res_pjsip.so`."),
    "publish-handler-missing": ("The phone PUBLISHes presence, which this Asterisk does not handle "
                                "(489 Bad Event). Harmless for calls.",
                                "Disable presence publishing on the phone, or ignore."),
    "max-contacts": ("A registration was refused because the AOR already has max_contacts bindings.",
                     "Raise max_contacts on the [aor] or set remove_existing=yes."),
}


@register
class PbxLogError(Rule):
    code = "SD505"
    slug = "pbx-log-error"
    severity = "warning"
    name = "The PBX log reports errors"
    role = "cause"

    def check(self, analysis):
        handled = {id(f.event) for f in analysis.log_facts if f.kind in ("aor-not-found", "request-failed",
                                                                           "contact-added", "contact-removed",
                                                                           "endpoint-state", "contact-state")}
        for fact in analysis.log_facts:
            if fact.kind in EXPLAINED:
                cause, fix = EXPLAINED[fact.kind]
                if fact.kind == "dtls-certificate":
                    cause += _key_file_hint(fact.event.text)
                where = f"{fact.event.function}: " if fact.event.function else ""
                yield self.finding(f"PBX log: {where}{fact.event.text[:120]}", cause, fix, [fact.origin],
                                   severity="error" if fact.kind == "dtls-certificate" else "info",
                                   details={"kind": fact.kind})
                handled.add(id(fact.event))
        errors = [e for e in analysis.log_events if e.level == "ERROR" and id(e) not in handled]
        if errors:
            yield self.finding(
                f"{len(errors)} ERROR line(s) in the PBX log",
                "The PBX logged errors during the trace: " + "; ".join(e.text[:150] for e in errors[:3])
                + (" …" if len(errors) > 3 else ""),
                "Read the quoted lines; they name the module and the failing object.",
                [e.origin for e in errors[:5]], details={"count": len(errors)},
            )


def _key_file_hint(text: str) -> str:
    """A private key read from a '.crt' file: dtls_private_key names the certificate, not the key."""
    mm = re.search(r"private key from \S+ file '(?P<path>[^']+)'", text)
    if mm and mm["path"].lower().endswith((".crt", ".cer")):
        return (f" The key is read from '{mm['path']}', a certificate file name: dtls_private_key probably "
                f"points at the certificate instead of its private key.")
    return ""
