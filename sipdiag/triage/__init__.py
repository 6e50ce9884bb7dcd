"""Batch triage of archived traces: many events in, one verdict table and an index page out.

`sipdiag.triage(paths, outdir)` (and `sipdiag triage PATH... -o OUTDIR`) groups the files of
each event (`inputs`), analyses every event in its own worker process or on Dask (`run`,
`event`), keeps one row per event in `OUTDIR/triage.sqlite` (`store`), and writes the table as
CSV and Parquet (`tables`) and `OUTDIR/index.html` (`index`). An event's verdict is chosen in
one place, `verdict.verdict_of`.
"""

from __future__ import annotations

import sys
import types


def triage(paths, outdir=None, **options):
    """Triage `paths` into `outdir` and return the table as a pandas DataFrame (see `batch.triage`)."""
    from .batch import triage as run

    return run(paths, outdir, **options)



class _CallableModule(types.ModuleType):
    """`sipdiag.triage` is both this package and the function: `sipdiag.triage(paths, outdir)`."""

    def __call__(self, paths, outdir=None, **options):
        return triage(paths, outdir, **options)


sys.modules[__name__].__class__ = _CallableModule
