package java

import (
	"strings"
)

// Where coordinates came from, as recorded in sbom.JavaMetadata.From.
const (
	fromPom      = "pom.properties"
	fromManifest = "MANIFEST.MF"
	fromFilename = "filename"
)

// pom is one META-INF/maven/<groupId>/<artifactId>/pom.properties.
type pom struct {
	group, artifactID, version string
}

// readPom turns a pom.properties into coordinates. The groupId and
// artifactId, when the file lacks them, come from the entry's directory.
func readPom(entry string, data []byte) (pom, bool) {
	props := parseProperties(data, "groupId", "artifactId", "version")
	p := pom{group: strings.TrimSpace(props["groupId"]), artifactID: strings.TrimSpace(props["artifactId"]), version: strings.TrimSpace(props["version"])}
	// META-INF/maven/<g>/<a>/pom.properties
	parts := strings.Split(entry, "/")
	if len(parts) == 5 {
		if p.group == "" {
			p.group = parts[2]
		}
		if p.artifactID == "" {
			p.artifactID = parts[3]
		}
	}
	if p.group != "" && !validToken(p.group) {
		p.group = ""
	}
	return p, validToken(p.artifactID) && validVersion(p.version)
}

// ownPom picks, among the pom.properties of an archive, the one that
// describes the archive itself rather than a dependency shaded into it:
// the one named like the file ("commons-lang3-3.12.0.jar",
// "commons-lang3.jar"), else the one named like the manifest says; and
// when the file name has no version, a lone pom.properties unless the
// manifest claims a different version, or the only one with the
// manifest's version. It returns -1 when none does.
func ownPom(poms []pom, base string, m *manifest, plugin bool) int {
	stem := base
	if _, ok := archiveExt(base); ok {
		stem = base[:len(base)-4]
	}
	fname, fver := parseFilename(base)
	best := -1
	for i, p := range poms {
		if av := p.artifactID + "-" + p.version; strings.EqualFold(stem, p.artifactID) || stem == av || strings.HasPrefix(stem, av+"-") {
			return i
		}
		if best < 0 && strings.EqualFold(fname, p.artifactID) && (fver == "" || fver == p.version) {
			best = i
		}
	}
	if best >= 0 {
		return best
	}
	mver := manifestVersion(m, plugin)
	names := manifestNames(m, plugin)
	for i, p := range poms {
		for _, n := range names {
			if strings.EqualFold(n, p.artifactID) && (mver == "" || mver == p.version) {
				return i
			}
		}
	}
	if fver != "" {
		return -1
	}
	if len(poms) == 1 && (mver == "" || mver == poms[0].version) {
		return 0
	}
	// A renamed file (Debian's maven3-slf4j-provider.jar holds
	// maven-slf4j-provider and a shaded slf4j-simple): the only pom with
	// the manifest's version.
	if mver == "" {
		return -1
	}
	own := -1
	for i, p := range poms {
		if p.version == mver {
			if own >= 0 {
				return -1
			}
			own = i
		}
	}
	return own
}

// manifestNames lists the manifest headers that may carry the archive's
// artifactId, in order of trust. Titles with spaces ("Apache Commons
// Lang") are display names, not artifactIds, and are left out.
func manifestNames(m *manifest, plugin bool) []string {
	var out []string
	keys := []string{"implementation-title", "bundle-name", "extension-name"}
	if plugin {
		keys = append([]string{"short-name"}, keys...)
	}
	for _, k := range keys {
		if v := m.get(k); validToken(v) {
			out = append(out, v)
		}
	}
	return out
}

// manifestVersion returns the archive's version as its manifest says it:
// Plugin-Version for a Jenkins plugin, else Implementation-Version, else
// Bundle-Version, else Specification-Version. Only the first word counts
// (Jenkins writes "1.0-SNAPSHOT (private-…)").
func manifestVersion(m *manifest, plugin bool) string {
	keys := []string{"implementation-version", "bundle-version", "specification-version"}
	if plugin {
		keys = append([]string{"plugin-version"}, keys...)
	}
	for _, k := range keys {
		v, _, _ := strings.Cut(strings.TrimSpace(m.get(k)), " ")
		if validVersion(v) && startsWithDigit(v) {
			return v
		}
	}
	return ""
}

// archiveIdentity names an archive that has no pom.properties of its own.
// A Jenkins plugin says Short-Name, Plugin-Version and Group-Id. Otherwise
// a file name with a version ("guava-31.1-jre.jar") is taken as Maven
// named it, since that is the artifactId and the exact Maven version,
// where Bundle-Version is OSGi-normalised ("31.1.0.jre") and titles are
// display names. A file name without a version ("app.jar") gives way to
// the manifest's Implementation-Title / Bundle-Name when they are
// artifact-like, and to its version headers. ok is false when no version
// is found anywhere.
func archiveIdentity(base string, m *manifest, ext string, hasManifest bool) (group, artifactID, version, from string, ok bool) {
	plugin := isPluginExt(ext)
	fname, fver := parseFilename(base)
	fromM := false
	switch {
	case plugin && validToken(m.get("short-name")):
		artifactID, fromM = m.get("short-name"), true
	case fver != "":
		artifactID = fname
	default:
		if names := manifestNames(m, plugin); len(names) > 0 {
			artifactID, fromM = names[0], true
		} else {
			artifactID = fname
		}
	}
	version = fver
	if version == "" || plugin {
		if v := manifestVersion(m, plugin); v != "" {
			version, fromM = v, true
		}
	}
	if !validToken(artifactID) || version == "" {
		return "", "", "", "", false
	}
	if !hasManifest && !javaOnlyExt(ext) {
		return "", "", "", "", false
	}
	from = fromFilename
	if fromM {
		from = fromManifest
	}
	return inferGroup(artifactID, m, plugin), artifactID, version, from, true
}

// inferGroup guesses the groupId of an archive without pom.properties.
// A Jenkins plugin's Group-Id is taken as is. Otherwise the
// Bundle-SymbolicName is read back through the maven-bundle-plugin's
// default rule, and only where the reading is unambiguous:
// "com.fasterxml.jackson.core.jackson-core" is groupId + "." + artifactId
// (the artifactId's first word, "jackson", being part of the groupId:
// Tomcat's "org.apache.tomcat-catalina" is not org.apache's), and
// "org.apache.commons.lang3" for commons-lang3 is a groupId ending in
// "commons" with the artifactId's "commons-" prefix folded in. A symbolic
// name like "com.google.guava" for guava is left alone: com.google:guava
// and com.google.guava:guava both produce it. Last comes
// Implementation-Vendor-Id when it looks like a package name, as
// maven-archiver wrote the groupId there, except "org.apache", which the
// Apache parent POM writes for every Apache project. Empty when nothing
// fits.
func inferGroup(artifactID string, m *manifest, plugin bool) string {
	if plugin {
		if g := m.get("group-id"); packageLike(g) || validToken(g) {
			return g
		}
	}
	bsn, _, _ := strings.Cut(m.get("bundle-symbolicname"), ";")
	bsn = strings.TrimSpace(bsn)
	if x, y, ok := strings.Cut(artifactID, "-"); ok && bsn != "" {
		if g, ok := strings.CutSuffix(bsn, "."+artifactID); ok && packageLike(g) && hasSegment(g, x) {
			return g
		}
		if g, ok := strings.CutSuffix(bsn, "."+y); ok && packageLike(g) && g[strings.LastIndexByte(g, '.')+1:] == x {
			return g
		}
	}
	if v := m.get("implementation-vendor-id"); packageLike(v) && v != "org.apache" {
		return v
	}
	return ""
}

// hasSegment reports whether the dotted name g has the part seg.
func hasSegment(g, seg string) bool {
	for part := range strings.SplitSeq(g, ".") {
		if part == seg {
			return true
		}
	}
	return false
}

// packageLike reports whether s looks like a reverse-domain package name
// of at least two parts: "org.apache.commons", not "slf4j" nor "SLF4J.ORG".
func packageLike(s string) bool {
	if len(s) > 200 || !strings.Contains(s, ".") {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if part == "" || !('a' <= part[0] && part[0] <= 'z') {
			return false
		}
		for _, c := range []byte(part) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validToken accepts Maven-like identifiers: letters, digits and ._-,
// starting with a letter or digit, at most 200 bytes.
func validToken(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !ok && i > 0 {
			ok = c == '.' || c == '-' || c == '_'
		}
		if !ok {
			return false
		}
	}
	return true
}

// validVersion accepts a version without spaces, control characters or
// unexpanded build placeholders ("${project.version}", "@VERSION@").
func validVersion(v string) bool {
	if v == "" || len(v) > 200 {
		return false
	}
	for _, c := range []byte(v) {
		if c <= ' ' || c == 0x7f || c == '$' || c == '@' || c == '{' || c == '}' || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}
