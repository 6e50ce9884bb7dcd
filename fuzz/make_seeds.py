"""Write the seed corpora of the fuzz harnesses from the bundled samples (small files only).

python fuzz/make_seeds.py  →  fuzz/seeds-sip/ (single SIP messages) and fuzz/seeds-inputs/ (whole files)
"""

from __future__ import annotations

from pathlib import Path

from sipdiag.dissect import read_messages
from sipdiag.errors import InputError
from sipdiag.sip.message import SipMessage

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "samples"
MAX_SEED = 64 * 1024


def main() -> None:
    sip, inputs = HERE / "seeds-sip", HERE / "seeds-inputs"
    sip.mkdir(exist_ok=True)
    inputs.mkdir(exist_ok=True)
    n = 0
    for path in sorted(SAMPLES.rglob("*")):
        if not path.is_file() or path.stat().st_size > MAX_SEED or path.suffix in (".py", ".md"):
            continue
        (inputs / path.name).write_bytes(path.read_bytes())
        try:
            _source, items = read_messages(str(path))
            for item in items:
                if isinstance(item, SipMessage):
                    n += 1
                    (sip / f"{n:05d}.sip").write_bytes(item.raw)
        except InputError:
            continue
    print(f"{len(list(inputs.iterdir()))} input seeds, {n} SIP message seeds")


if __name__ == "__main__":
    main()
