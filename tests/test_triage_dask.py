"""The Dask path: the same per-event function on a `distributed.LocalCluster` gives the same
table as the local worker processes."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLES

import sipdiag

distributed = pytest.importorskip("distributed")

# columns that describe the run, not the event
RUN_COLUMNS = ["analysis_seconds", "cpu_seconds", "peak_rss_mib", "analysed_at"]


def test_dask_table_equals_local_table(tmp_path):
    paths = [str(SAMPLES / "lab" / "lab-06a-call-rejected-486.pcap"),
             str(SAMPLES / "lab" / "ast-01-aor-404.pcap"), str(SAMPLES / "lab" / "ast-01-aor-404.pjsip-logger.log"),
             str(SAMPLES / "synthetic" / "tcp-reassembly.pcap"), str(SAMPLES / "lab" / "README.md")]
    local = sipdiag.triage(paths, tmp_path / "local", jobs=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = sipdiag.triage(paths, tmp_path / "dask", dask=client)
    assert remote.attrs["analysed"] == len(remote) == 4
    assert set(remote["verdict_slug"].dropna()) == {"user-busy", "aor-not-found", "registration-failed"}
    pd.testing.assert_frame_equal(local.drop(columns=RUN_COLUMNS), remote.drop(columns=RUN_COLUMNS))
    for name in ("local", "dask"):
        assert (tmp_path / name / "index.html").is_file()
    assert ((tmp_path / "local" / "events" / f"{local['event_id'][0]}.json").read_text()
            == (tmp_path / "dask" / "events" / f"{remote['event_id'][0]}.json").read_text())


def test_dask_address_that_answers_nothing_is_a_usage_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sipdiag.cli import main
    from sipdiag.triage import run

    monkeypatch.setattr(run, "DASK_CONNECT_TIMEOUT", "1s")
    result = CliRunner().invoke(main, ["triage", str(SAMPLES / "lab" / "lab-06a-call-rejected-486.pcap"),
                                       "-o", str(tmp_path / "out"), "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler" in result.output
