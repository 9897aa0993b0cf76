#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Helpers (sourced) to run Debian's crowdsec package as a throwaway LAPI: the .deb is fetched
# with `apt-get download` and unpacked with `dpkg -x` into a private prefix (never installed, no
# service), then run LAPI-only with its own config, SQLite in a temp dir, on 127.0.0.1:$port, no
# Central API. Sets CS_DIR, CS_PORT, CS_PID; cs_cscli runs cscli against that config.
# CS_WRAP (e.g. "nsenter --net=/run/netns/x") runs crowdsec, cscli and the probes inside it.
#   PHALANX_CROWDSEC_CACHE  where the unpacked package is kept (default /tmp/phalanx-crowdsec)

cs_unpack() {
  local cache=${PHALANX_CROWDSEC_CACHE:-/tmp/phalanx-crowdsec}
  CS_ROOT=$cache/root
  if [ -x "$CS_ROOT/usr/bin/crowdsec" ] && [ -x "$CS_ROOT/usr/bin/cscli" ]; then return 0; fi
  mkdir -p "$cache"
  (cd "$cache" && rm -f crowdsec_*.deb && apt-get download crowdsec >/dev/null 2>&1) || return 1
  dpkg -x "$cache"/crowdsec_*.deb "$CS_ROOT" || return 1
}

cs_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# cs_start DIR: writes DIR/config.yaml and starts the LAPI in the background.
cs_start() {
  CS_DIR=$1
  CS_PORT=$(cs_free_port)
  mkdir -p "$CS_DIR/config" "$CS_DIR/data" "$CS_DIR/hub"
  cp "$CS_ROOT/etc/crowdsec/profiles.yaml" "$CS_ROOT/etc/crowdsec/simulation.yaml" "$CS_DIR/config/"
  echo '{}' >"$CS_DIR/hub/.index.json"
  cat >"$CS_DIR/config/config.yaml" <<YAML
common:
  daemonize: false
  log_media: stdout
  log_level: info
  working_dir: $CS_DIR
config_paths:
  config_dir: $CS_DIR/config/
  data_dir: $CS_DIR/data/
  simulation_path: $CS_DIR/config/simulation.yaml
  hub_dir: $CS_DIR/hub/
  index_path: $CS_DIR/hub/.index.json
  notification_dir: $CS_DIR/config/notifications/
  plugin_dir: $CS_ROOT/usr/lib/crowdsec/plugins/
cscli:
  output: human
  color: false
db_config:
  log_level: info
  type: sqlite
  db_path: $CS_DIR/data/crowdsec.db
  flush:
    max_items: 5000
    max_age: 7d
api:
  client:
    insecure_skip_verify: false
    credentials_path: $CS_DIR/config/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: 127.0.0.1:$CS_PORT
    profiles_path: $CS_DIR/config/profiles.yaml
    trusted_ips: ['127.0.0.1', '::1']
prometheus:
  enabled: false
YAML
  cs_cscli machines add phalanx-test --auto --force >/dev/null 2>&1 || return 1
  ${CS_WRAP:-} "$CS_ROOT/usr/bin/crowdsec" -c "$CS_DIR/config/config.yaml" -no-cs >"$CS_DIR/lapi.log" 2>&1 &
  CS_PID=$!
  local i
  for i in $(seq 1 100); do
    if ${CS_WRAP:-} curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CS_PORT/v1/decisions" 2>/dev/null | grep -q 403; then
      return 0
    fi
    kill -0 "$CS_PID" 2>/dev/null || { cat "$CS_DIR/lapi.log"; return 1; }
    sleep 0.1
  done
  cat "$CS_DIR/lapi.log"
  return 1
}

cs_cscli() {
  ${CS_WRAP:-} "$CS_ROOT/usr/bin/cscli" -c "$CS_DIR/config/config.yaml" "$@"
}

cs_stop() {
  if [ -n "${CS_PID:-}" ]; then
    kill "$CS_PID" 2>/dev/null
    wait "$CS_PID" 2>/dev/null
    CS_PID=
  fi
}
