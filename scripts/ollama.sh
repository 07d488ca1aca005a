#!/usr/bin/env bash
# A local Ollama for yardstick's demo and tests.
#
#   scripts/ollama.sh install   build Ollama from its Go module (pinned) unless one is found
#   scripts/ollama.sh start     start it on a loopback port of its own, wait until it answers
#   scripts/ollama.sh stop      stop the server this script started, by its PID
#   scripts/ollama.sh status    say whether it runs and where
#   scripts/ollama.sh path      print the ollama binary this script uses
#   scripts/ollama.sh env       print OLLAMA_HOST=... for the running server
#
# Settings (environment):
#   YARDSTICK_OLLAMA_BIN    an ollama binary to use instead of building one
#   YARDSTICK_OLLAMA_PORT   loopback port (default 11500; not Ollama's usual 11434, so a
#                           user's own server is never touched)
#   YARDSTICK_STATE_DIR     where the pid file, log and model directory live
#                           (default: .ollama-local in the repository)
#   YARDSTICK_CACHE_DIR     where the built binary is cached
#                           (default: ${XDG_CACHE_HOME:-$HOME/.cache}/yardstick)
#   YARDSTICK_OLLAMA_CFLAGS C/C++ flags of the build (default: -O3 -march=native)
#
# The build: `go install github.com/ollama/ollama@$OLLAMA_VERSION` compiles a CPU-only
# Ollama (about four minutes on two cores for v0.24.0). The module zip leaves out llama.cpp's
# vendored headers: nlohmann/json and stb_image come from Debian (nlohmann-json3-dev,
# libstb-dev); miniaudio.h, which no package ships, is a stand-in in scripts/include.
#
# ggml's cgo flags (ml/backend/ggml/ggml/src/ggml-cpu/cpu.go) set no target ISA, so a
# plain go install compiles ggml's scalar fallback: no SSE/AVX/AVX-512 kernels, several
# times slower than a release Ollama. The build therefore passes -march=native, as
# llama.cpp's own default build does (GGML_NATIVE=ON); release Ollama instead ships
# CPU variants (haswell, skylakex, icelake, alderlake, ...) and loads the best one at
# runtime. The server log's "system" line lists the SIMD features compiled in.
set -euo pipefail

OLLAMA_VERSION="v0.24.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${YARDSTICK_OLLAMA_PORT:-11500}"
STATE="${YARDSTICK_STATE_DIR:-$ROOT/.ollama-local}"
CACHE="${YARDSTICK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yardstick}"
# The build is for this machine's CPU (-march=native), so the cache is keyed by it too.
CPU_KEY="$(uname -m)-$( (grep -m1 -E '^(model name|Model)' /proc/cpuinfo 2>/dev/null || uname -p) | md5sum | cut -c1-8)"
BUILT="$CACHE/ollama-$OLLAMA_VERSION-native-$CPU_KEY/bin/ollama"
PIDFILE="$STATE/ollama.pid"
LOG="$STATE/ollama.log"
HOSTPORT="127.0.0.1:$PORT"

say() { echo "ollama.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# find_bin prints the binary to use: the override, the cached build, then one on PATH.
find_bin() {
  if [[ -n "${YARDSTICK_OLLAMA_BIN:-}" ]]; then
    [[ -x "$YARDSTICK_OLLAMA_BIN" ]] || die "YARDSTICK_OLLAMA_BIN=$YARDSTICK_OLLAMA_BIN is not executable"
    echo "$YARDSTICK_OLLAMA_BIN"; return 0
  fi
  if [[ -x "$BUILT" ]]; then echo "$BUILT"; return 0; fi
  if command -v ollama >/dev/null 2>&1; then command -v ollama; return 0; fi
  return 1
}

need_pkgs() {
  local missing=()
  [[ -f /usr/include/nlohmann/json.hpp ]] || missing+=(nlohmann-json3-dev)
  [[ -f /usr/include/stb/stb_image.h ]] || missing+=(libstb-dev)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  ((${#missing[@]} == 0)) && return 0
  say "installing build packages: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || die "apt-get install ${missing[*]} failed"
}

cmd_install() {
  if bin=$(find_bin); then say "using $bin"; return 0; fi
  command -v go >/dev/null 2>&1 || die "go is not on PATH; install Go 1.26 first"
  need_pkgs
  say "building ollama $OLLAMA_VERSION from the Go module proxy (about 4 minutes on 2 cores)"
  mkdir -p "$(dirname "$BUILT")"
  local start=$SECONDS
  # -X sets the version /api/version reports (release builds set it the same way).
  CGO_ENABLED=1 \
  CGO_CPPFLAGS="-I$ROOT/scripts/include ${CGO_CPPFLAGS:-}" \
  CGO_CFLAGS="${YARDSTICK_OLLAMA_CFLAGS:--O3 -march=native}" \
  CGO_CXXFLAGS="${YARDSTICK_OLLAMA_CFLAGS:--O3 -march=native}" \
  GOBIN="$(dirname "$BUILT")" \
  GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
    go install -ldflags "-s -w -X github.com/ollama/ollama/version.Version=${OLLAMA_VERSION#v}" \
      "github.com/ollama/ollama@$OLLAMA_VERSION"
  say "built $BUILT in $((SECONDS - start)) s"
}

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid=$(cat "$PIDFILE")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

answers() { curl -fsS --max-time 2 "http://$HOSTPORT/api/version" >/dev/null 2>&1; }

cmd_start() {
  command -v curl >/dev/null 2>&1 || need_pkgs
  if pid=$(running_pid) && answers; then say "already running (pid $pid) on $HOSTPORT"; return 0; fi
  if answers; then die "something else already answers on $HOSTPORT; set YARDSTICK_OLLAMA_PORT"; fi
  local bin; bin=$(find_bin) || { cmd_install; bin=$(find_bin); }
  mkdir -p "$STATE/models"
  say "starting $bin on $HOSTPORT (log: $LOG)"
  # OLLAMA_NUM_PARALLEL and friends pass through from the caller's environment.
  OLLAMA_HOST="$HOSTPORT" OLLAMA_MODELS="$STATE/models" OLLAMA_NOPRUNE=1 \
    nohup "$bin" serve >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local i
  for ((i = 0; i < 120; i++)); do
    if answers; then say "ready on http://$HOSTPORT (pid $(cat "$PIDFILE"))"; return 0; fi
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -20 "$LOG" >&2; die "ollama exited during start"; }
    sleep 0.5
  done
  tail -20 "$LOG" >&2
  die "ollama did not answer on $HOSTPORT within 60 s"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then say "not running"; rm -f "$PIDFILE"; return 0; fi
  kill "$pid"
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; say "stopped pid $pid"; return 0; }
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  say "killed pid $pid"
}

cmd_status() {
  if pid=$(running_pid) && answers; then echo "running pid $pid on http://$HOSTPORT"; else echo "not running"; return 1; fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  path) find_bin || die "no ollama yet; run: scripts/ollama.sh install" ;;
  env) echo "OLLAMA_HOST=http://$HOSTPORT" ;;
  *) echo "usage: scripts/ollama.sh install|start|stop|status|path|env" >&2; exit 2 ;;
esac
