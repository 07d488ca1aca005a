#!/usr/bin/env bash
# The main job on a fresh machine: a real benchmark of a real Ollama.
#
#   1. installs Ollama (pinned, built from its Go module; cached) unless one is found,
#   2. starts it on 127.0.0.1:${YARDSTICK_OLLAMA_PORT:-11500} with its own model directory,
#   3. writes a Qwen2.5-0.5B shape twin (exact shapes, Q8_0, random weights) and creates
#      it on that server,
#   4. runs `yardstick run` on it, prints the table and the path of the run JSON,
#   5. writes the run's HTML report (charts; docs/report.md) next to the run file and
#      prints its path,
#   6. stops the server it started (set KEEP_OLLAMA=1 to leave it running).
#
# Extra arguments go to `yardstick run` (e.g. --runs 20 --max-tokens 256).
# Settings: YARDSTICK_SHAPE (qwen2.5-0.5b), YARDSTICK_QUANT (Q8_0), YARDSTICK_OUT_DIR (runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHAPE="${YARDSTICK_SHAPE:-qwen2.5-0.5b}"
QUANT="${YARDSTICK_QUANT:-Q8_0}"
OUT_DIR="${YARDSTICK_OUT_DIR:-runs}"
MODEL="twin-${SHAPE}:$(echo "$QUANT" | tr '[:upper:]' '[:lower:]')"
HOST="$(scripts/ollama.sh env | cut -d= -f2)"

started=0
if ! scripts/ollama.sh status >/dev/null 2>&1; then
  scripts/ollama.sh start
  started=1
fi
cleanup() { if [[ $started == 1 && "${KEEP_OLLAMA:-0}" != 1 ]]; then scripts/ollama.sh stop; fi; }
trap cleanup EXIT

mkdir -p bin
# -buildvcs=auto: the revision is recorded (yardstick --version, every run file) even
# where GOFLAGS sets -buildvcs=false.
go build -buildvcs=auto -o bin/yardstick ./cmd/yardstick
bin/yardstick synth --shape "$SHAPE" --quant "$QUANT" --out "twins/$SHAPE-$QUANT.gguf" --create "$MODEL" --host "$HOST"
mkdir -p "$OUT_DIR"
marker="$(mktemp)"
status=0
bin/yardstick run --model "$MODEL" --host "$HOST" --out-dir "$OUT_DIR" "$@" || status=$?
# The run file is written even when some requests failed (exit 1) or the run was
# interrupted (exit 130): its report is written then too. The run file is the newest
# *.json the run wrote (found among --out-dir's files, unless --out put it elsewhere).
run_file="$(find "$OUT_DIR" -maxdepth 1 -name '*.json' -newer "$marker" -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)"
rm -f "$marker"
if [[ -n "$run_file" ]]; then
  report="${run_file%.json}.html"
  bin/yardstick report --format html --out "$report" "$run_file"
  echo "HTML report: $report"
fi
exit "$status"
