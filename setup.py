"""Build of sipdiag's optional compiled core; the package metadata is in pyproject.toml.

The Rust extension `sipdiag._core` (rust/) is optional: where no Rust toolchain is found the
build goes on without it and sipdiag uses its pure-Python capture reader instead.
"""

from setuptools import setup

try:
    from setuptools_rust import Binding, RustExtension
except ImportError:  # building without setuptools-rust (e.g. a plain `python setup.py`): pure Python
    rust_extensions = []
else:
    rust_extensions = [
        RustExtension(
            "sipdiag._core",
            path="rust/Cargo.toml",
            binding=Binding.PyO3,
            features=["python"],
            py_limited_api=True,
            debug=False,  # an editable install is for development, but a debug build is ~20x slower
            optional=True,
        )
    ]

setup(rust_extensions=rust_extensions, options={"bdist_wheel": {"py_limited_api": "cp310"}})
