"""Settings of the showcase benchmark (benchmarks/showcase.py): the product's, plus a trivial view to compare with."""

import os

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "benchmarks.showcase_urls"
# Collected static files of this run only (the product's pages use the manifest storage when DEBUG is off).
STATIC_ROOT = os.environ["RAVES_BENCH_STATIC_ROOT"]
