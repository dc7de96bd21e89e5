#!/usr/bin/env bash
# Quick, repeatable speed check of the HTTP data plane beside nginx, ratios from one run.
#
#   bench/speed/compare.sh [REPEATS=5] [DURATION=10] [BUNDLE=dist/runtime/alb-runtime.js]
#   env: ALB_WORKERS (default 1), NODE_FLAGS (e.g. --cpu-prof), WRK_HEADER (e.g. "Connection: close")
#
# Fixed backend: nginx (1 worker) on 127.0.7.2:19001 answering a 12-byte body from memory.
# Proxies, each with 1 worker on CPU 0: our runtime on 127.0.7.1:19080 (bench/speed/alb-config.json)
# and nginx with upstream keepalive on 127.0.7.3:19080. wrk -t1 -c50 and the backend share CPU 1.
# Runs alternate alb/nginx REPEATS times; the table gives each run and the medians, and the
# ratio alb/nginx is the median of per-pair ratios (slow drift of a shared machine cancels).
# Every process started here is killed on exit.
set -euo pipefail
REPEATS=${1:-5}
DURATION=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUNDLE=${3:-$ROOT/dist/runtime/alb-runtime.js}
NODE_FLAGS=${NODE_FLAGS:-}
DIR=$(mktemp -d /tmp/alb-speed.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for tool in wrk nginx; do command -v $tool >/dev/null || { echo "missing $tool (apt-get install -y wrk nginx)" >&2; exit 1; }; done

mkdir -p "$DIR/backend" "$DIR/proxy"
common() { cat <<C
daemon off; master_process on; user root; worker_processes 1; worker_rlimit_nofile 20000;
pid $1/nginx.pid; error_log $1/error.log warn;
events { worker_connections 16000; multi_accept on; }
C
}
temps() { for t in client_body proxy fastcgi uwsgi scgi; do echo "${t}_temp_path $1/tmp-$t;"; done; }
{ common "$DIR/backend"; cat <<C
http { access_log off; $(temps "$DIR/backend") keepalive_requests 100000000; keepalive_timeout 600s;
  server { listen 127.0.7.2:19001 backlog=4096; location / { default_type text/plain; return 200 "hello world\n"; } } }
C
} > "$DIR/backend/nginx.conf"
{ common "$DIR/proxy"; cat <<C
http { access_log off; $(temps "$DIR/proxy") keepalive_requests 100000000; keepalive_timeout 600s;
  upstream backend { server 127.0.7.2:19001; keepalive 256; keepalive_requests 100000000; keepalive_timeout 600s; }
  server { listen 127.0.7.3:19080 backlog=4096;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
C
} > "$DIR/proxy/nginx.conf"

start() { # name cpu cmd...
  local name=$1 cpu=$2; shift 2
  setsid taskset -c "$cpu" "$@" >"$DIR/$name.out" 2>&1 &
  PIDS+=($!)
}
wait_http() {
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not answering: $1 (logs in $DIR)" >&2; exit 1
}
stop_last() { local p=${PIDS[-1]}; kill -- "-$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; unset 'PIDS[-1]'; }

# A leftover process on one of these addresses would be measured instead of ours: refuse.
for url in http://127.0.7.2:19001/ http://127.0.7.1:19080/ http://127.0.7.3:19080/; do
  if curl -s -o /dev/null --max-time 1 "$url"; then echo "something already answers on $url: stop it first" >&2; exit 1; fi
done
start backend 1 nginx -e "$DIR/backend/error.log" -p "$DIR/backend" -c "$DIR/backend/nginx.conf"
wait_http http://127.0.7.2:19001/

# CPU ticks (utime+stime) of every process in process group $1.
ticks() { awk -v g="$1" '{ sub(/^.*\) /, ""); if ($3 == g) t += $12 + $13 } END { print t + 0 }' /proc/[0-9]*/stat 2>/dev/null; }

# wrk --latency against $1 while measuring process group $2: prints "req/s p50_ms p99_ms cpu_us_per_req"
load() {
  local t0 t1
  t0=$(ticks "$2")
  taskset -c 1 wrk -t1 -c50 -d"${DURATION}s" --latency ${WRK_HEADER:+-H "$WRK_HEADER"} "$1" > "$DIR/wrk.txt"
  t1=$(ticks "$2")
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 } /requests in/ { n = $1 }
    /Non-2xx|Socket errors/ { err = err " " $0 }
    END { printf "%.0f %.3f %.3f %.1f%s\n", rps, p50, p99, ticks * 1e6 / hz / n, (err == "" ? "" : " #" err) }' "$DIR/wrk.txt"
}

echo "# $(date -u '+%F %T UTC'), $(nproc) cores, node $(node -v), bundle $BUNDLE ${NODE_FLAGS:+(NODE_FLAGS=$NODE_FLAGS)}"
printf '%-3s %-8s %9s %9s %9s %10s %s\n' run proxy req/s p50_ms p99_ms cpu_us/req load1
: > "$DIR/results"
for r in $(seq 1 "$REPEATS"); do
  order="alb nginx"; (( r % 2 == 0 )) && order="nginx alb"
  for who in $order; do
    if [ "$who" = alb ]; then
      # shellcheck disable=SC2086
      start alb 0 node $NODE_FLAGS "$BUNDLE" run --config "$HERE/alb-config.json" --bind 127.0.7.1 --workers "${ALB_WORKERS:-1}" --access-log off
      wait_http http://127.0.7.1:19080/; url=http://127.0.7.1:19080/
    else
      start proxy 0 nginx -e "$DIR/proxy/error.log" -p "$DIR/proxy" -c "$DIR/proxy/nginx.conf"
      wait_http http://127.0.7.3:19080/; url=http://127.0.7.3:19080/
    fi
    taskset -c 1 wrk -t1 -c50 -d2s "$url" >/dev/null   # warm-up (JIT, pooled connections)
    line=$(load "$url" "${PIDS[-1]}")
    load1=$(cut -d' ' -f1 /proc/loadavg)
    printf '%-3s %-8s %9s %9s %9s %10s %s %s\n' "$r" "$who" $(echo "$line" | cut -d' ' -f1-4) "$load1" "$(echo "$line" | cut -s -d'#' -f2)"
    echo "$r $who $line" >> "$DIR/results"
    stop_last
  done
done

awk '
  function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { rps[$1, $2] = $3; p50[$1, $2] = $4; p99[$1, $2] = $5; cpu[$1, $2] = $6; runs[$1] = 1 }
  END {
    n = 0
    for (r in runs) { n++; ar[n] = rps[r, "alb"]; nr[n] = rps[r, "nginx"]; a5[n] = p50[r, "alb"]; n5[n] = p50[r, "nginx"]
      a9[n] = p99[r, "alb"]; n9[n] = p99[r, "nginx"]; q[n] = rps[r, "alb"] / rps[r, "nginx"]; q9[n] = p99[r, "alb"] / p99[r, "nginx"]
      ac[n] = cpu[r, "alb"]; nc[n] = cpu[r, "nginx"] }
    printf "median alb:   %.0f req/s  p50 %.3f ms  p99 %.3f ms  %.1f CPU us/req\n", median(ar, n), median(a5, n), median(a9, n), median(ac, n)
    printf "median nginx: %.0f req/s  p50 %.3f ms  p99 %.3f ms  %.1f CPU us/req\n", median(nr, n), median(n5, n), median(n9, n), median(nc, n)
    printf "ratio alb/nginx (median of pairs): req/s %.2f  p99 %.2f\n", median(q, n), median(q9, n)
  }' "$DIR/results"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$DIR"
