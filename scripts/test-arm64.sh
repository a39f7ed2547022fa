#!/usr/bin/env bash
# Cross-compiles the arm64 kernel tests and runs them under qemu-user, so the
# NEON code is executed, not only compiled. Installs qemu-user when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
if [ -z "$qemu" ]; then
	echo "test-arm64: installing qemu-user (Debian package)"
	sudo_cmd=""
	[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq qemu-user >/dev/null
	qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for tags in "" purego; do
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go test -c -tags "$tags" -o "$out/simd.test" ./simd
	echo "test-arm64: simd tests under $(basename "$qemu") (tags: ${tags:-none})"
	"$qemu" "$out/simd.test" -test.count=1 -test.v 2>&1 | grep -E '^(ok|PASS|FAIL|---|panic)|implementations \[|CPU lacks' || true
	"$qemu" "$out/simd.test" -test.count=1 >/dev/null
done
