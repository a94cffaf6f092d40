#!/bin/sh
# Fetches Debian packages holding runtimes too large to commit and unpacks
# them for TestDebianSamples:
#
#   sh testdata/samples.sh /tmp/runtime-samples
#   VIGIL_RUNTIME_SAMPLES=/tmp/runtime-samples go test -run TestDebianSamples .
#
# Needs apt-get and dpkg-deb (run `apt-get update` first). Writes
# DIR/manifest.tsv: package, version, the file to catalog, and the path
# it is given in the image (Debian's redis-server is a link to
# redis-check-rdb; the link's name is the one looked for).
set -eu
dir=${1:?usage: samples.sh DIR}
mkdir -p "$dir/debs" "$dir/root"
cd "$dir/debs"
# package	file, relative to the unpacked root	[path in the image]
set -- \
	"php8.2-cli	usr/bin/php8.2" \
	"php8.2-fpm	usr/sbin/php-fpm8.2" \
	"libphp8.2-embed	usr/lib/libphp8.2.so" \
	"libruby3.1	usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1.2" \
	"redis-tools	usr/bin/redis-check-rdb	usr/bin/redis-server" \
	"postgresql-15	usr/lib/postgresql/15/bin/postgres" \
	"busybox-static	bin/busybox" \
	"nginx	usr/sbin/nginx" \
	"apache2-bin	usr/sbin/apache2" \
	"libssl3	usr/lib/x86_64-linux-gnu/libcrypto.so.3" \
	"openssl	usr/bin/openssl" \
	"python3.11-minimal	usr/bin/python3.11" \
	"libpython3.11	usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0" \
	"libnode108	usr/lib/x86_64-linux-gnu/libnode.so.108" \
	"openjdk-17-jre-headless	usr/lib/jvm/java-17-openjdk-amd64/release" \
	"golang-1.19-go	usr/lib/go-1.19/VERSION"
: > "$dir/manifest.tsv"
for row in "$@"; do
	pkg=${row%%	*}
	file=${row#*	}
	image=${file#*	}
	file=${file%%	*}
	rm -f "${pkg}"_*.deb
	apt-get download "$pkg" >/dev/null
	deb=$(ls "${pkg}"_*.deb)
	mkdir -p "$dir/root/$pkg"
	dpkg-deb -x "$deb" "$dir/root/$pkg"
	printf '%s\t%s\t%s\t%s\n' "$pkg" "$(dpkg-deb -f "$deb" Version)" "$file" "$image" >> "$dir/manifest.tsv"
done
