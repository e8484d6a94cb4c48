#!/usr/bin/env bash
# Install, then lint and run the test suite (models load offline; browser tests use
# Debian's chromium, installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
if ! command -v chromium >/dev/null; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
. .venv/bin/activate
export HF_HUB_OFFLINE=1
ruff check .
ruff format --check .
python -m pytest
