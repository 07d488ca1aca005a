#!/usr/bin/env bash
# The tests, including the end-to-end test against a real Ollama.
#
# Installs Ollama (pinned, cached) when needed, starts it on a loopback port of its own
# (127.0.0.1:${YARDSTICK_TEST_PORT:-11501}) with its own model directory, runs go vet and
# every Go test with YARDSTICK_E2E_HOST pointing at it (the end-to-end test is required,
# not skipped), then stops the server it started, by PID.
# The HTML report's browser tests need headless Chromium: Debian's chromium package is
# installed when missing (as root or through sudo), and YARDSTICK_BROWSER=require makes
# those tests fail rather than skip without it.
# Extra arguments go to `go test` (e.g. -run EndToEnd -v).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export YARDSTICK_OLLAMA_PORT="${YARDSTICK_TEST_PORT:-11501}"
export YARDSTICK_STATE_DIR="${YARDSTICK_TEST_STATE_DIR:-$ROOT/.ollama-local/test}"
# Four requests at once per model, so the concurrency sweep of the end-to-end tests
# meets a server that batches (Ollama's default depends on free memory).
export OLLAMA_NUM_PARALLEL="${OLLAMA_NUM_PARALLEL:-4}"

scripts/ollama.sh install
if ! command -v chromium >/dev/null 2>&1; then
  echo "test.sh: installing chromium (the HTML report's browser tests)" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { echo "test.sh: apt-get install chromium failed" >&2; exit 1; }
fi
started=0
if ! scripts/ollama.sh status >/dev/null 2>&1; then
  scripts/ollama.sh start
  started=1
fi
cleanup() { if [[ $started == 1 ]]; then scripts/ollama.sh stop; fi; }
trap cleanup EXIT

go vet ./...
HOST="$(scripts/ollama.sh env | cut -d= -f2)"
YARDSTICK_BROWSER=require YARDSTICK_E2E=require YARDSTICK_E2E_HOST="$HOST" YARDSTICK_TEST_OLLAMA_HOST="$HOST" \
  go test -count=1 -timeout 20m ./... "$@"
