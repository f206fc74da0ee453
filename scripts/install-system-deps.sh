#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real peers: mosquitto (the benchmark peer), mosquitto-clients (mosquitto_pub
# and mosquitto_sub), tinyproxy (an HTTP CONNECT proxy), openssl and curl. Installs only what is
# missing, so it is quick on a machine that already has them. Needs root (or sudo).
set -euo pipefail

# command on PATH => Debian package that provides it
declare -A wanted=(
  [mosquitto]=mosquitto
  [mosquitto_pub]=mosquitto-clients
  [mosquitto_sub]=mosquitto-clients
  [tinyproxy]=tinyproxy
  [openssl]=openssl
  [curl]=curl
)

missing=()
for command in "${!wanted[@]}"; do
  # tinyproxy installs to /usr/bin or /usr/sbin, which a non-root PATH may lack.
  if ! command -v "$command" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$command && ! -x /usr/bin/$command ]]; then
    missing+=("${wanted[$command]}")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "system deps: all present"
  exit 0
fi

# Deduplicate (mosquitto_pub and mosquitto_sub share a package).
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "system deps: installing ${packages[*]}"

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "system deps: need root or sudo to install ${packages[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

echo "system deps: installed ${packages[*]}"
