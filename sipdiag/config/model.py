"""`PbxConfig`: the Asterisk PJSIP objects a user attached (pjsip.conf or `pjsip show` output).

Each object keeps where it was read (file and line), so rules can cite the exact line to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sources.frame import Origin


@dataclass
class PjsipObject:
    """One sorcery object: [name] type=endpoint|aor|auth|identify|transport|..."""

    type: str
    name: str
    origin: Origin
    """The section header (pjsip.conf) or the listing line (`pjsip show`)."""
    options: dict[str, str] = field(default_factory=dict)
    option_origins: dict[str, Origin] = field(default_factory=dict)

    def values(self, option: str) -> list[str]:
        """A comma-separated option split into names ('aors=a, b' → ['a', 'b'])."""
        raw = self.options.get(option, "")
        return [v.strip() for v in raw.split(",") if v.strip()]


@dataclass
class PbxConfig:
    """All PJSIP objects from every config input given."""

    sources: list[str] = field(default_factory=list)
    objects: list[PjsipObject] = field(default_factory=list)
    contacts: list[tuple[str, str, Origin]] = field(default_factory=list)
    """(aor, contact uri, origin) from `pjsip show contacts`."""
    lines: dict[str, int] = field(default_factory=dict)
    """Lines read per config input."""
    whole_files: list[str] = field(default_factory=list)
    """pjsip.conf files given whole (no #include): a name missing from them is missing for Asterisk.
    (`pjsip show` output and files with #include may leave out objects that exist.)"""

    @property
    def is_whole(self) -> bool:
        """Every config input is a whole pjsip.conf: what it lacks, Asterisk lacks too."""
        return bool(self.whole_files) and set(self.whole_files) == set(self.sources)

    def of_type(self, kind: str) -> list[PjsipObject]:
        return [o for o in self.objects if o.type == kind]

    def get(self, kind: str, name: str) -> PjsipObject | None:
        found = [o for o in self.objects if o.type == kind and o.name == name]
        if not found:
            return None
        merged = found[0]
        for other in found[1:]:  # `pjsip show` listing plus pjsip.conf: keep the richer one first
            for k, v in other.options.items():
                merged.options.setdefault(k, v)
                merged.option_origins.setdefault(k, other.option_origins.get(k, other.origin))
        return merged

    def names(self, kind: str) -> list[str]:
        return sorted({o.name for o in self.objects if o.type == kind})

    def endpoint_for(self, *candidates: str | None) -> PjsipObject | None:
        """The endpoint named like one of `candidates`, or whose auth has that username."""
        for name in candidates:
            if name and self.get("endpoint", name) is not None:
                return self.get("endpoint", name)
        for name in candidates:
            if not name:
                continue
            for ep in self.of_type("endpoint"):
                for auth_name in ep.values("auth"):
                    auth = self.get("auth", auth_name)
                    if auth is not None and auth.options.get("username") == name:
                        return self.get("endpoint", ep.name)
        return None
