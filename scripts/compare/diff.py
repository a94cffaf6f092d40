#!/usr/bin/env python3
"""Compare Vigil's and osv-scanner's findings for one image.

usage: diff.py IMAGE OUTDIR TRACKER_JSON DPKG_TRUTH_TSV

Reads OUTDIR/IMAGE.vigil-osv.json, OUTDIR/IMAGE.vigil-full.json,
OUTDIR/IMAGE.osv-scanner.json and, when present, OUTDIR/IMAGE.trivy.json
(written by compare.sh). A finding is the pair
(package, vulnerability): the package is the binary package name for dpkg
and the package name otherwise; the vulnerability is its CVE id when the
record or its aliases name exactly one, else the record id. Prints the
counts per ecosystem and every difference with what decides it: the
installed binary and source versions and the fixed version that the
changelog-derived Debian data (tracker.json) gives for (source, CVE).
"""
import json
import os
import sys
from collections import defaultdict


def canon(ids):
    cves = sorted({i for i in ids if i.startswith("CVE-")})
    if len(cves) == 1:
        return cves[0]
    return min(ids)


def owners(path):
    """Maps each Python distribution Vigil found to the dpkg package owning it."""
    doc = json.load(open(path))
    out = {}
    for p in doc["inventory"]["packages"]:
        if p["ecosystem"] == "pypi" and p.get("ownedBy"):
            # pkg:deb/debian/python3-idna@3.3-1%2Bdeb12u1?...
            out[p["name"].lower()] = p["ownedBy"].split("/")[-1].split("@")[0]
    return out


def load_vigil(path):
    doc = json.load(open(path))
    out = {}
    for f in doc["findings"]:
        eco = f["packageEcosystem"]
        key = (eco, f["packageName"], canon([f["id"]] + f.get("aliases", [])))
        out[key] = {
            "version": f.get("installedVersion", ""),
            "source": f.get("sourcePackage", ""),
            "sourceVersion": f.get("sourceVersion", ""),
            "ids": sorted({f["id"], *f.get("aliases", [])}),
            "advisory": f.get("advisoryId", ""),
            "fixed": f.get("fix", {}).get("versions", []),
        }
    return out


ECO = {"Debian:12": "deb", "Go": "golang", "npm": "npm", "PyPI": "pypi"}


def load_osv(path):
    doc = json.load(open(path))
    out = {}
    for res in doc.get("results", []):
        for p in res.get("packages", []):
            pkg = p["package"]
            eco = ECO.get(pkg["ecosystem"], pkg["ecosystem"])
            name = pkg.get("os_package_name") or pkg["name"]
            if eco == "golang" and name == "stdlib":
                name = "stdlib"
            vulns = {v["id"]: v for v in p.get("vulnerabilities", [])}
            for g in p.get("groups", []):
                ids = set(g["ids"]) | set(g.get("aliases", []))
                for i in g["ids"]:
                    ids |= set(vulns.get(i, {}).get("aliases", []) or [])
                key = (eco, name, canon(sorted(ids)))
                out[key] = {
                    "version": pkg["version"],
                    "source": pkg["name"] if pkg.get("os_package_name") else "",
                    "ids": sorted(ids),
                    "advisory": ",".join(g["ids"]),
                }
    return out


TRIVY_ECO = {"debian": "deb", "gobinary": "golang", "gomod": "golang", "node-pkg": "npm", "npm": "npm",
             "python-pkg": "pypi", "pip": "pypi"}


def load_trivy(path):
    doc = json.load(open(path))
    out = {}
    for res in doc.get("Results", []):
        eco = TRIVY_ECO.get(res.get("Type", ""), res.get("Type", ""))
        for v in res.get("Vulnerabilities", []) or []:
            ids = [v["VulnerabilityID"]] + (v.get("VendorIDs") or [])
            key = (eco, v["PkgName"], canon(ids))
            out[key] = {"version": v.get("InstalledVersion", ""), "ids": sorted(set(ids)),
                        "fixed": [v["FixedVersion"]] if v.get("FixedVersion") else []}
    return out


def main():
    image, outdir, tracker_path, truth_path = sys.argv[1:5]
    tracker = json.load(open(tracker_path))
    truth = {}
    for line in open(truth_path):
        b, v, s, sv, _ = line.rstrip("\n").split("\t")
        truth[b.split(":")[0]] = (v, s, sv)
    vigil = load_vigil(f"{outdir}/{image}.vigil-osv.json")
    full = load_vigil(f"{outdir}/{image}.vigil-full.json")
    osv = load_osv(f"{outdir}/{image}.osv-scanner.json")
    owned = owners(f"{outdir}/{image}.vigil-osv.json")

    print(f"# {image}")
    if set(vigil) != set(full):
        print(f"Vigil with the tracker JSON differs from Vigil on OSV only: "
              f"+{len(set(full) - set(vigil))} -{len(set(vigil) - set(full))}")
    else:
        print(f"Vigil: same {len(vigil)} findings with and without the Debian tracker JSON source")
    others = {"osv-scanner": osv}
    if os.path.exists(f"{outdir}/{image}.trivy.json"):
        others["trivy"] = load_trivy(f"{outdir}/{image}.trivy.json")
    for tool, other in others.items():
        report(tool, vigil, other, truth, owned, tracker)


def report(tool, vigil, osv, truth, owned, tracker):
    print(f"\n## Vigil and {tool}")
    counts = defaultdict(lambda: [0, 0, 0])
    for k in set(vigil) | set(osv):
        counts[k[0]][(k in vigil) + 2 * (k in osv) - 1] += 1
    print(f"| ecosystem | both | only Vigil | only {tool} |")
    print("|---|---:|---:|---:|")
    for eco in sorted(counts):
        v, o, b = counts[eco]
        print(f"| {eco} | {b} | {v} | {o} |")

    def debian_fix(name, cve, src):
        rec = tracker.get(src, {}).get(cve, {}).get("releases", {}).get("bookworm", {})
        return rec.get("fixed_version", "-")

    for label, a, b in (("only Vigil", vigil, osv), ("only " + tool, osv, vigil)):
        diff = sorted(set(a) - set(b))
        print(f"\n### {label}: {len(diff)}")
        for k in diff:
            eco, name, vid = k
            f = a[k]
            line = f"{eco}\t{name}\t{vid}\tinstalled {f['version']}\tids {' '.join(f['ids'])}"
            if eco == "pypi" and name.lower() in owned:
                # A distribution installed by a Debian package: what does
                # Debian's data say about that package?
                name = owned[name.lower()]
            if eco in ("deb", "pypi") and name in truth:
                v, s, sv = truth[name]
                line += f"\tdebian {name} {v} (source {s} {sv})\tdebian-fixed {debian_fix(name, vid, s)}"
            elif f.get("fixed"):
                line += f"\tfixed {' '.join(f['fixed'])}"
            print(line)


if __name__ == "__main__":
    main()
