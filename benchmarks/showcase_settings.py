"""Settings of the showcase benchmark (benchmarks/showcase.py): the product's, plus a trivial view to compare with."""

import os

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "benchmarks.showcase_urls"
# Collected static files of this run only (the product's pages use the manifest storage when DEBUG is off).
STATIC_ROOT = os.environ["RAVES_BENCH_STATIC_ROOT"]
# Every request of the benchmark comes from one address; the per-address limit of the public JSON
# still runs (its Redis round trip is part of the cost measured) but never refuses one.
PUBLIC_API_THROTTLE_RATE = "100000000/min"
