#!/usr/bin/env bash
# Create .venv and install the assistant. torch is pinned to the CPU build first:
# an unpinned torch would pull a multi-gigabyte CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[test]"
