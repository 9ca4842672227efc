#!/bin/sh
# Install the Debian packages winnow builds with (plus any given as arguments, which is how
# tools/install-test-deps.sh adds the test-only ones). As root it installs what is missing;
# otherwise it prints the exact apt-get line and fails, so nothing half-works.
set -e
PKGS="$* \
build-essential pkg-config libzstd-dev libxml2-dev libxxhash-dev libicu-dev zlib1g-dev libisal-dev
libjansson-dev libyajl-dev libpcre2-dev libhyperscan-dev libyaml-dev libcurl4-openssl-dev libbrotli-dev
libcmocka-dev zstd nettle-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "winnow needs these Debian packages; run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
