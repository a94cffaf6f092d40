#!/bin/sh
# Rebuilds the Go binary fixtures from src/ (see README.md). Needs the Go
# module proxy (or a module cache holding the old modules) and, for the cgo
# fixture, gcc. The committed binaries were built with go1.26.8 linux/amd64.
set -eu
cd "$(dirname "$0")"
out=$(pwd)/bin
mkdir -p "$out"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOOS=linux GOARCH=amd64
# Symbols kept (no DWARF): the plain case.
(cd src/deps && CGO_ENABLED=0 go build -trimpath -ldflags=-w -o "$out/deps" .)
# Stripped, with replace directives of all three kinds.
(cd src/replace && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$out/replace" .)
# Linked by the system linker: section headers at the end of the file.
(cd src/cgo && CGO_ENABLED=1 go build -trimpath -ldflags='-s -w -linkmode=external' -o "$out/cgo" .)
cd "$out" && for b in deps replace cgo; do go version -m "$b" > "$b.version-m.txt"; done
