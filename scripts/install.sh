#!/usr/bin/env bash
# Install what a fresh machine lacks: a virtual environment in .venv with the pinned
# requirements, and with --dev the test tools and Debian's chromium for the browser tests.
# Safe to run again: it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($python --version)"
    "$python" -m venv .venv
fi

files=(requirements.txt)
[ $dev = 1 ] && files+=(requirements-dev.txt)
stamp=".venv/.installed-$(cat "${files[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "== installing ${files[*]} into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    args=()
    for f in "${files[@]}"; do args+=(-r "$f"); done
    .venv/bin/python -m pip install --quiet "${args[@]}"
    touch "$stamp"
fi

if [ $dev = 1 ] && [ ! -x "${LSTM_DEMO_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "== installing Debian's chromium for the browser tests"
    sudo=""
    [ "$(id -u)" != 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium > /dev/null
fi
