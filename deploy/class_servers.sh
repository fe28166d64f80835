#!/usr/bin/env bash
# A whole class on several lab servers behind nginx, with one command.
#
#   deploy/class_servers.sh start K [PROXY_PORT]   # K lab servers on PROXY_PORT+1 .. PROXY_PORT+K, nginx on PROXY_PORT
#   deploy/class_servers.sh stop                   # stops the servers and nginx this script started
#   deploy/class_servers.sh pids                   # the lab servers' process ids (comma-separated, for bench/class_load.py)
#
# Streamlit keeps each student's session (its run, its uploads) in one server process, over one websocket,
# so the proxy must keep a student on one server: nginx hashes a route cookie it hands out on the first
# request (every later request of that browser, the websocket and file uploads included, goes to the same
# server; ip_hash would send a whole class behind one NAT, or this machine's own load test, to one server).
# The websocket upgrade is passed through and never timed out while the class is connected.
#
# Environment: LISTEN (default 127.0.0.1; 0.0.0.0 to serve a room), SERVER_HOSTS (default: K local servers;
# e.g. "10.0.0.2:8501 10.0.0.3:8501" for servers started on other machines), CLWE_DEPLOY_DIR (state, logs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DIR="${CLWE_DEPLOY_DIR:-${TMPDIR:-/tmp}/clwe-deploy}"
PY="${PYTHON:-python3}"
LISTEN="${LISTEN:-127.0.0.1}"

need_nginx() {
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing Debian's nginx (apt-get)..." >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
    else
      echo "nginx is not installed: run 'sudo apt-get install nginx-light' (Debian) and retry" >&2
      exit 2
    fi
  fi
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
}

wait_health() {   # url seconds
  local url="$1" t="$2"
  for _ in $(seq 1 $((t * 2))); do
    if "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)" "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "$url did not answer in $t s (logs in $DIR)" >&2
  return 1
}

start() {
  local k="${1:?usage: $0 start K [PROXY_PORT]}" port="${2:-8650}"
  need_nginx
  if [ -f "$DIR/nginx.pid" ]; then
    echo "already running (state in $DIR): run '$0 stop' first" >&2
    exit 2
  fi
  mkdir -p "$DIR/tmp"
  : > "$DIR/servers.pid"
  local upstream=""
  if [ -n "${SERVER_HOSTS:-}" ]; then
    for host in $SERVER_HOSTS; do upstream+="    server $host max_fails=0;"$'\n'; done
  else
    for i in $(seq 1 "$k"); do
      local p=$((port + i))
      # Each server its own process (its own interpreter lock); its own log.
      PYTHONPATH="$ROOT" setsid "$PY" -m streamlit run "$ROOT/app/streamlit_app.py" --server.headless true \
        --server.address 127.0.0.1 --server.port "$p" --server.fileWatcherType none \
        --browser.gatherUsageStats false >"$DIR/server-$p.log" 2>&1 < /dev/null &
      echo "$!" >> "$DIR/servers.pid"
      upstream+="    server 127.0.0.1:$p max_fails=0;"$'\n'
    done
  fi
  local max_mb
  max_mb="$(sed -n 's/^maxUploadSize *= *\([0-9]*\).*/\1/p' "$ROOT/.streamlit/config.toml")"
  cat > "$DIR/nginx.conf" <<CONF
# Written by deploy/class_servers.sh: a sticky, websocket-aware proxy in front of the lab servers.
daemon on;
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;
    # A browser without the route cookie gets one (the request's random id); the hash of the cookie picks
    # the server, so all of a student's requests land on the same one.
    map \$cookie_clwe_route \$clwe_route { "" \$request_id; default \$cookie_clwe_route; }
    map \$http_upgrade \$connection_upgrade { default upgrade; "" close; }
    upstream clwe_lab {
        hash \$clwe_route consistent;
$upstream    }
    server {
        listen $LISTEN:$port;
        client_max_body_size $((max_mb + 16))m;   # the lab's upload limit (server.maxUploadSize) + form overhead
        location / {
            proxy_pass http://clwe_lab;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;            # deltas reach the browser as the script sends them
            proxy_request_buffering off;    # an upload streams to its server instead of to nginx's disk first
            add_header Set-Cookie "clwe_route=\$clwe_route; Path=/; HttpOnly; SameSite=Lax" always;
        }
    }
}
CONF
  "$NGINX" -t -q -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/nginx-error.log"
  "$NGINX" -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/nginx-error.log"
  if [ -z "${SERVER_HOSTS:-}" ]; then
    for i in $(seq 1 "$k"); do wait_health "http://127.0.0.1:$((port + i))/_stcore/health" 120 || { stop; exit 1; }; done
  fi
  wait_health "http://127.0.0.1:$port/_stcore/health" 30 || { stop; exit 1; }
  echo "CLWE Lab: http://$LISTEN:$port/ -> $( [ -n "${SERVER_HOSTS:-}" ] && echo "$SERVER_HOSTS" || echo "$k servers on ports $((port + 1))-$((port + k))")"
  echo "server pids: $(pids)"
}

pids() { paste -sd, "$DIR/servers.pid" 2>/dev/null || true; }

stop() {
  if [ -f "$DIR/nginx.pid" ]; then
    kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
    rm -f "$DIR/nginx.pid"
  fi
  if [ -f "$DIR/servers.pid" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    done < "$DIR/servers.pid"
    rm -f "$DIR/servers.pid"
  fi
  echo "stopped (logs in $DIR)"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  pids) pids ;;
  *) echo "usage: $0 start K [PROXY_PORT] | stop | pids" >&2; exit 2 ;;
esac
