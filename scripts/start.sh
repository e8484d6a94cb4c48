#!/usr/bin/env bash
# Install, index seeds/, then answer a question and open the terminal chat.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1
assistant index
assistant ask "What did Rubio say about Russia?"
assistant chat
