# Shared shell helpers for integration fixtures (sourced). Every fixture writes a pid file so that the
# test stops exactly what it started.
nbs_die() { echo "FAIL: $*" >&2; exit 1; }

# A free TCP port on 127.0.0.1 (bound then released; racy only against other fixtures starting at once).
nbs_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# nbs_wait_http URL SECONDS: waits until URL answers with any HTTP status.
nbs_wait_http() {
  end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -le "$end" ]; do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# nbs_stop_pidfile FILE: TERM then KILL the process recorded in FILE.
nbs_stop_pidfile() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

nbs_require() {
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || nbs_die "required tool missing: $tool"; done
}
