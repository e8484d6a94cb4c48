#!/usr/bin/env bash
# Install, index seeds/, answer a sample question, then serve the chat page
# (http://127.0.0.1:7860; extra arguments go to `assistant serve`, e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1
assistant index
assistant ask "What did Rubio say about Russia?"
exec assistant serve "$@"
