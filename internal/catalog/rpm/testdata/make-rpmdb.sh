#!/bin/sh
# Rebuilds sqlite/var/lib/rpm/rpmdb.sqlite, a real rpm SQLite database made by
# the rpm tools, from the specs in specs/. Needs Debian's rpm and gnupg
# packages (apt-get install -y rpm gnupg); rpm 4.18's default backend is
# sqlite, which this script also asks for explicitly.
#
# After running it, regenerate the golden file:
#   go test ./internal/catalog/rpm -run TestFixtures -update
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fixed build time and host so rebuilt packages differ as little as possible.
export SOURCE_DATE_EPOCH=1700000000
build() {
	rpmbuild --define "_topdir $work/build" --define '_buildhost vigil.invalid' \
		--define 'use_source_date_epoch_as_buildtime 1' \
		--target x86_64 --quiet -bb "$@"
}

build "$here/specs/vigil-hello.spec"
build "$here/specs/vigil-data.spec"
# The modularity label is stamped at build time, as Fedora's and RHEL's
# module build systems do.
build --define 'modularitylabel nodejs:18:8090020231023:ad008a3a' "$here/specs/vigil-module.spec"

root="$work/root"
mkdir -p "$root"
rpm --define '_db_backend sqlite' --root "$root" --dbpath /var/lib/rpm --initdb
rpm --define '_db_backend sqlite' --root "$root" --dbpath /var/lib/rpm \
	-i --justdb --nodeps --noscripts --notriggers --nosignature --nodigest \
	"$work"/build/RPMS/*/*.rpm

# A gpg-pubkey pseudo-package, which the cataloger must skip.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-generate-key 'Vigil Fixture <fixture@vigil.invalid>' rsa2048 sign never
gpg --batch --armor --export fixture@vigil.invalid >"$work/key.asc"
rpm --define '_db_backend sqlite' --root "$root" --dbpath /var/lib/rpm --import "$work/key.asc"

rpm --define '_db_backend sqlite' --root "$root" --dbpath /var/lib/rpm -qa \
	--qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\n' | sort

out="$here/sqlite/var/lib/rpm"
mkdir -p "$out"
# rpm checkpoints its write-ahead log on close, so the main file is complete.
cp "$root/var/lib/rpm/rpmdb.sqlite" "$out/rpmdb.sqlite"
