#!/bin/sh
# fetch.sh refreshes data/ from the npm registry; run it by hand, then
# `go generate` in internal/license. Tests never need the network.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent spdx-license-ids spdx-exceptions >/dev/null)
for pkg in spdx-license-ids spdx-exceptions; do
	mkdir -p "$tmp/$pkg" "data/$pkg"
	tar -xzf "$tmp/$pkg"-*.tgz -C "$tmp/$pkg"
	cp "$tmp/$pkg/package/index.json" "$tmp/$pkg/package/deprecated.json" \
		"$tmp/$pkg/package/package.json" "data/$pkg/"
done
