#!/usr/bin/env bash
# Side-by-side of Vigil and osv-scanner v2.5.0 on the shared test images,
# offline, on the same OSV data. See README.md beside this file.
#
#   scripts/compare/compare.sh            # everything, in $WORK (default /tmp/vigil-compare)
#   STEPS="scan diff" scripts/compare/compare.sh   # reuse built tools and feeds
#
# Needs: go (1.26), python3, unzip; the Go module proxy for the first build.
# Reads ../shared (or $VIGIL_SHARED). Writes only under $WORK.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${VIGIL_SHARED:-$ROOT/../shared}
WORK=${WORK:-/tmp/vigil-compare}
STEPS=${STEPS:-"tools feeds scan diff"}
OSV_SCANNER_VERSION=v2.5.0
IMAGES="debian-app debian-minbase"

FEEDS=$SHARED/vulnfeeds
[ -f "$FEEDS/debian-derived/osv/Debian/all.zip" ] || { echo "no shared feeds at $FEEDS (set VIGIL_SHARED)" >&2; exit 2; }
mkdir -p "$WORK/bin" "$WORK/out"

step() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# ---- tools -----------------------------------------------------------------
if step tools; then
	(cd "$ROOT" && go build -o "$WORK/bin/vigil" ./cmd/vigil)
	# osv-scanner v2.5.0 is the last release that builds with Go 1.26.
	# -p 1: the build is heavy for a 2-core machine.
	GOBIN=$WORK/bin go install -p 1 "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION"
	# osv-scanner reads images as docker-archive tarballs (--archive), not OCI
	# layouts: a throwaway converter built on go-containerregistry.
	mkdir -p "$WORK/ocitar"
	cat >"$WORK/ocitar/main.go" <<'EOF'
// ocitar writes the single image of an OCI layout as a docker-archive.
package main

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "ocitar:", err)
		os.Exit(1)
	}
}

func run(dir, tag, out string) error {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) != 1 {
		return fmt.Errorf("%s: %d manifests, want 1", dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, ref, img)
}
EOF
	printf 'module ocitar\n\ngo 1.26\n\nrequire github.com/google/go-containerregistry v0.22.1\n' >"$WORK/ocitar/go.mod"
	(cd "$WORK/ocitar" && GOFLAGS=-mod=mod go build -o "$WORK/bin/ocitar" .)
fi

# ---- feeds -----------------------------------------------------------------
# The same OSV records for both tools, one all.zip per ecosystem as OSV.dev
# publishes them: Debian from debian-derived (the reconstruction of bookworm's
# advisories), Go and npm with the GitHub-reviewed records of ghsa-extra
# merged in (OSV.dev's Go and npm exports carry GHSA records too), PyPI as is.
if step feeds; then
	rm -rf "$WORK/feeds"
	python3 - "$FEEDS" "$WORK/feeds/osv" <<'EOF'
import json, os, sys, zipfile
feeds, out = sys.argv[1], sys.argv[2]
sources = {
    "Debian": ["debian-derived/osv/Debian/all.zip"],
    "Go": ["osv/Go/all.zip", "ghsa-extra/all.zip"],
    "npm": ["osv/npm/all.zip", "ghsa-extra/all.zip"],
    "PyPI": ["osv/PyPI/all.zip"],
}
for eco, zips in sources.items():
    records = {}
    for z in zips:
        with zipfile.ZipFile(os.path.join(feeds, z)) as zf:
            for n in zf.namelist():
                data = zf.read(n)
                rec = json.loads(data)
                ecos = {a.get("package", {}).get("ecosystem", "").split(":")[0] for a in rec.get("affected", [])}
                if eco in ecos and n not in records:
                    records[n] = data
    os.makedirs(os.path.join(out, eco), exist_ok=True)
    with zipfile.ZipFile(os.path.join(out, eco, "all.zip"), "w", zipfile.ZIP_DEFLATED) as zf:
        for n in sorted(records):
            zf.writestr(zipfile.ZipInfo(n, (2026, 11, 29, 0, 0, 0)), records[n])
    print(f"{eco}: {len(records)} records")
EOF
	# Vigil: a file:// mirror (docs/database.md). Two databases: OSV only
	# (what osv-scanner sees) and OSV plus the Debian tracker JSON made from
	# the same changelog records (Vigil's default set of sources).
	m=$WORK/feeds/mirror
	for eco in Debian Go npm PyPI; do
		mkdir -p "$m/osv-vulnerabilities.storage.googleapis.com/$eco"
		cp "$WORK/feeds/osv/$eco/all.zip" "$m/osv-vulnerabilities.storage.googleapis.com/$eco/"
	done
	rm -f "$WORK/feeds/vigil-osv.db"* "$WORK/feeds/vigil-full.db"*
	# Exit 2 is expected: KEV, EPSS and the Alpine branches are not mirrored.
	"$WORK/bin/vigil" db update -q --db-path "$WORK/feeds/vigil-osv.db" --mirror "file://$m" \
		--osv-ecosystems Debian,Go,npm,PyPI --alpine-branches v3.20 || true
	mkdir -p "$m/security-tracker.debian.org/tracker/data"
	cp "$FEEDS/debian-derived/tracker.json" "$m/security-tracker.debian.org/tracker/data/json"
	"$WORK/bin/vigil" db update -q --db-path "$WORK/feeds/vigil-full.db" --mirror "file://$m" \
		--osv-ecosystems Debian,Go,npm,PyPI --alpine-branches v3.20 || true
	"$WORK/bin/vigil" db status --db-path "$WORK/feeds/vigil-full.db" || true
	# osv-scanner: <local-db-path>/osv-scalibr/<Ecosystem>/all.zip (osv-scalibr
	# enricher/vulnmatch/osvlocal: setupLocalDBDirectory and newZippedDB).
	mkdir -p "$WORK/feeds/osvscanner/osv-scalibr"
	cp -r "$WORK/feeds/osv/." "$WORK/feeds/osvscanner/osv-scalibr/"
fi

# ---- scan ------------------------------------------------------------------
if step scan; then
	for img in $IMAGES; do
		"$WORK/bin/ocitar" "$SHARED/images/$img" "testbed/$img:latest" "$WORK/out/$img.tar"
		for db in osv full; do
			"$WORK/bin/vigil" scan "oci-dir:$SHARED/images/$img" --offline --no-cache -q \
				--db-path "$WORK/feeds/vigil-$db.db" -f json -o "$WORK/out/$img.vigil-$db.json"
		done
		# Exit 1 means "vulnerabilities found".
		"$WORK/bin/osv-scanner" scan image --archive "$WORK/out/$img.tar" \
			--offline --local-db-path "$WORK/feeds/osvscanner" \
			--all-packages --format json --output-file "$WORK/out/$img.osv-scanner.json" \
			2>"$WORK/out/$img.osv-scanner.log" || [ $? -eq 1 ]
	done
fi

# ---- epoch (optional: STEPS="... epoch") -----------------------------------
# A synthetic record (not upstream data) that the shared feeds lack: a
# util-linux fix one upload after the installed 2.38.1-5+deb12u3. All eight
# binaries of util-linux are then vulnerable, bsdutils among them, whose own
# version carries an epoch the source lacks (1:2.38.1-5+deb12u3). A second
# run leaves the npm zip out, to show what a missing ecosystem does.
if step epoch; then
	s=$WORK/epoch
	rm -rf "$s"
	mkdir -p "$s/osv-scalibr/Debian" "$s/mirror/osv-vulnerabilities.storage.googleapis.com/Debian"
	python3 - "$s" <<'EOF'
import json, sys, zipfile
s = sys.argv[1]
rec = {"schema_version": "1.6.0", "id": "DEBIAN-CVE-2099-0001", "aliases": ["CVE-2099-0001"],
       "modified": "2026-11-29T00:00:00Z", "published": "2026-11-29T00:00:00Z",
       "summary": "synthetic: a util-linux fix one upload after the installed version",
       "affected": [{"package": {"ecosystem": "Debian:12", "name": "util-linux", "purl": "pkg:deb/debian/util-linux?arch=source"},
                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.38.1-5+deb12u4"}]}]}]}
for p in ("osv-scalibr/Debian/all.zip", "mirror/osv-vulnerabilities.storage.googleapis.com/Debian/all.zip"):
    with zipfile.ZipFile(f"{s}/{p}", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("DEBIAN-CVE-2099-0001.json", json.dumps(rec, indent=2))
EOF
	"$WORK/bin/vigil" db update -q --db-path "$s/vigil.db" --mirror "file://$s/mirror" --osv-ecosystems Debian --alpine-branches v3.20 2>/dev/null || true
	"$WORK/bin/vigil" scan "oci-dir:$SHARED/images/debian-app" --offline --no-cache -q --db-path "$s/vigil.db" -f json -o "$s/vigil.json"
	[ -f "$WORK/out/debian-app.tar" ] || "$WORK/bin/ocitar" "$SHARED/images/debian-app" testbed/debian-app:latest "$WORK/out/debian-app.tar"
	run_osv() { "$WORK/bin/osv-scanner" scan image --archive "$WORK/out/debian-app.tar" --offline --local-db-path "$s" \
		--format json --output-file "$1" 2>"$1.log" || [ $? -eq 1 ]; }
	run_osv "$s/osv-missing-npm.json"
	for eco in Go npm PyPI; do
		mkdir -p "$s/osv-scalibr/$eco"
		python3 -c "import zipfile, sys; zipfile.ZipFile(sys.argv[1], 'w').close()" "$s/osv-scalibr/$eco/all.zip"
	done
	run_osv "$s/osv.json"
	python3 - "$s" <<'EOF'
import json, sys
s = sys.argv[1]
print("Vigil:      ", sorted(f["packageName"] for f in json.load(open(f"{s}/vigil.json"))["findings"]))
for name in ("osv", "osv-missing-npm"):
    doc = json.load(open(f"{s}/{name}.json"))
    print(f"{name + ':':12s}", sorted(p["package"].get("os_package_name") for r in doc["results"] for p in r["packages"] if p.get("vulnerabilities")))
EOF
fi

# ---- trivy (optional: STEPS="... trivy") -----------------------------------
# Trivy v0.74.0 reads a BoltDB built by trivy-db from the vuln-list layouts,
# not OSV zips. The same records are laid out as trivy-db's sources expect:
#   debian:   vuln-list-debian/tracker/{distributions.json,CVE/<id>.json,DLA/,DSA/}
#             (one "[bookworm] - <source> <fixed>" annotation per record of
#             tracker.json, as the security tracker's data/CVE/list has them)
#   govulndb: govulndb/data/osv/GO-*.json (trivy keeps stdlib and golang.org/x/*)
#   ghsa:     ghsa/advisories/github-reviewed/<id>/<id>.json (Go, npm, PyPI)
# PYSEC records have no trivy-db source: trivy matches PyPI with GHSA only.
TRIVY_VERSION=v0.74.0
TRIVY_DB_VERSION=v0.0.0-20260813095258-0e0340a01b57 # the trivy-db trivy v0.74.0 requires
if step trivy; then
	[ -x "$WORK/bin/trivy" ] || GOEXPERIMENT=jsonv2 GOBIN=$WORK/bin go install -p 1 "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"
	[ -x "$WORK/bin/trivy-db" ] || GOBIN=$WORK/bin go install -p 1 "github.com/aquasecurity/trivy-db/cmd/trivy-db@$TRIVY_DB_VERSION"
	rm -rf "$WORK/trivy"
	python3 - "$WORK/feeds/osv" "$FEEDS/debian-derived/tracker.json" "$WORK/trivy/vuln-list" <<'EOF'
import json, os, sys, zipfile
osv, tracker, out = sys.argv[1:4]
def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
deb = os.path.join(out, "vuln-list-debian", "tracker")
write(os.path.join(deb, "distributions.json"), {"bookworm": {"major-version": "12"}})
bugs = {}
for src, cves in json.load(open(tracker)).items():
    for cve, rec in cves.items():
        r = rec["releases"]["bookworm"]
        bugs.setdefault(cve, []).append({"Type": "package", "Release": "bookworm", "Package": src,
                                         "Kind": "fixed", "Version": r["fixed_version"]})
for cve, anns in bugs.items():
    write(os.path.join(deb, "CVE", cve + ".json"), {"Header": {"ID": cve, "Description": ""}, "Annotations": anns})
n = {"GO": 0, "GHSA": 0}
for eco in ("Go", "npm", "PyPI"):
    with zipfile.ZipFile(os.path.join(osv, eco, "all.zip")) as zf:
        for name in zf.namelist():
            rid = name[:-len(".json")]
            if rid.startswith("GO-"):
                path = os.path.join(out, "govulndb", "data", "osv", name)
            elif rid.startswith("GHSA-"):
                path = os.path.join(out, "ghsa", "advisories", "github-reviewed", rid, name)
            else:
                continue
            if not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "wb").write(zf.read(name))
                n[rid.split("-")[0]] += 1
# trivy-db walks these whether or not they hold anything: the changelog
# records carry no DSA/DLA ids, and there are no CocoaPods specs.
for d in (os.path.join(deb, "DLA"), os.path.join(deb, "DSA"), os.path.join(out, "cocoapods-specs", "Specs")):
    os.makedirs(d, exist_ok=True)
print(f"trivy sources: {len(bugs)} Debian CVEs, {n['GO']} GO, {n['GHSA']} GHSA")
EOF
	(cd "$WORK/trivy" && "$WORK/bin/trivy-db" build --cache-dir "$WORK/trivy/vuln-list" --output-dir "$WORK/trivy/cache/db" \
		--update-interval 87600h --only-update debian --only-update govulndb --only-update ghsa)
	for img in $IMAGES; do
		[ -f "$WORK/out/$img.tar" ] || "$WORK/bin/ocitar" "$SHARED/images/$img" "testbed/$img:latest" "$WORK/out/$img.tar"
		"$WORK/bin/trivy" image --input "$WORK/out/$img.tar" --cache-dir "$WORK/trivy/cache" \
			--skip-db-update --skip-java-db-update --offline-scan --scanners vuln --list-all-pkgs \
			--format json --output "$WORK/out/$img.trivy.json" 2>"$WORK/out/$img.trivy.log"
	done
fi

# ---- diff ------------------------------------------------------------------
if step diff; then
	for img in $IMAGES; do
		python3 "$ROOT/scripts/compare/diff.py" "$img" "$WORK/out" "$FEEDS/debian-derived/tracker.json" \
			"$SHARED/images/truth/$img.dpkg.tsv" | tee "$WORK/out/$img.diff.txt"
	done
fi
