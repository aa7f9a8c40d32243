#!/usr/bin/env bash
# Install (first time only) and start the app on http://localhost:8501 with the paper's
# passage already loaded. Extra arguments go to `streamlit run` (e.g. --server.port 8600).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "== starting lstm-demo on http://localhost:8501 (Ctrl-C to stop)"
exec .venv/bin/python -m streamlit run app.py "$@"
