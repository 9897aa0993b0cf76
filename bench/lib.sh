# SPDX-License-Identifier: Apache-2.0
# Helpers shared by the bench scripts; sourced, not run.

# The hub collections the replay benchmarks load, as the differential check does: arguments of
# `phalanx replay` for the generated ssh and nginx mixes.
replay_ssh_args=(--type syslog --collection crowdsecurity/sshd --collection crowdsecurity/linux)
replay_nginx_args=(--type nginx --collection crowdsecurity/nginx
                   --collection crowdsecurity/base-http-scenarios
                   --collection crowdsecurity/http-cve --collection crowdsecurity/linux)

# replay_logs LOGGEN DIR LINES_SSH LINES_NGINX SEED: the generated ssh and nginx mixes the replay
# benchmarks read, as DIR/ssh.log and DIR/nginx.log.
replay_logs() {
  "$1" --kind ssh --lines "$3" --seed "$5" >"$2/ssh.log"
  "$1" --kind nginx --lines "$4" --seed "$5" >"$2/nginx.log"
}

# median: the middle of the numbers on stdin, the mean of the two middle ones for an even
# count, "nan" for none.
median() {
  sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
          else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# start_phalanxd BINARY DIR [WRAPPER...]: a LAPI-only-or-full phalanxd on the SQLite file
# DIR/phalanx.db, listening on a free port of 127.0.0.1, its output in DIR/out and DIR/err; the
# command runs under WRAPPER when given (e.g. ip netns exec NS). Sets phalanxd_pid and port;
# exits the script when the daemon dies or does not listen within 2 minutes.
phalanxd_pid=
start_phalanxd() {
  local bin=$1 dir=$2
  shift 2
  "$@" "$bin" --db "sqlite://$dir/phalanx.db" --listen 127.0.0.1:0 --log-level warn \
    >"$dir/out" 2>"$dir/err" &
  phalanxd_pid=$!
  port=
  for _ in $(seq 1 1200); do
    port=$(sed -n 's/^phalanxd: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out")
    [ -n "$port" ] && return 0
    kill -0 "$phalanxd_pid" 2>/dev/null || { cat "$dir/err" >&2; exit 1; }
    sleep 0.1
  done
  echo "phalanxd did not start" >&2
  exit 1
}

# stop_phalanxd: stops the daemon start_phalanxd started, if any, and waits for it.
stop_phalanxd() {
  if [ -n "$phalanxd_pid" ]; then
    kill "$phalanxd_pid" 2>/dev/null && wait "$phalanxd_pid" 2>/dev/null
  fi
  phalanxd_pid=
}
