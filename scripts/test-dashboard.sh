#!/usr/bin/env bash
# Runs the dashboard's end-to-end tests (tests/dashboard) in headless
# Chromium against a real bin/cairn serve. Installs Debian's chromium when
# /usr/bin/chromium is missing, as test-arm64.sh installs qemu-user.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
	echo "test-dashboard: installing chromium (Debian package)"
	sudo_cmd=""
	[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
cd tests/dashboard
npm ci --no-audit --no-fund
node --test
