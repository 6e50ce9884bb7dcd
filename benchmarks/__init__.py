"""sipdiag's benchmark: a generated PBX workload, and a runner that times sipdiag, tshark and sngrep on it."""
