package java

import (
	"strings"
)

// archiveExt returns the archive extension of name in lower case ("jar",
// "war" …) and whether name ends in one. It does not allocate: Wants calls
// it for every file of every layer.
func archiveExt(name string) (string, bool) {
	n := len(name)
	if n < 5 || name[n-4] != '.' || name[n-5] == '/' {
		return "", false
	}
	var e [3]byte
	for i := range 3 {
		c := name[n-3+i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		e[i] = c
	}
	switch e {
	case [3]byte{'j', 'a', 'r'}:
		return "jar", true
	case [3]byte{'w', 'a', 'r'}:
		return "war", true
	case [3]byte{'e', 'a', 'r'}:
		return "ear", true
	case [3]byte{'j', 'p', 'i'}:
		return "jpi", true
	case [3]byte{'h', 'p', 'i'}:
		return "hpi", true
	case [3]byte{'p', 'a', 'r'}:
		return "par", true
	case [3]byte{'s', 'a', 'r'}:
		return "sar", true
	case [3]byte{'n', 'a', 'r'}:
		return "nar", true
	case [3]byte{'k', 'a', 'r'}:
		return "kar", true
	}
	return "", false
}

// javaOnlyExt reports whether ext names an archive that is Java by
// definition. The others (.par, .sar, .nar, .kar) are zips that other
// worlds use too (a Perl PAR, a NiFi NAR), so without a manifest or a
// pom.properties their file name alone does not make a Maven package.
func javaOnlyExt(ext string) bool {
	switch ext {
	case "jar", "war", "ear", "jpi", "hpi":
		return true
	}
	return false
}

// isPluginExt reports whether ext is a Jenkins plugin archive, whose
// manifest names the plugin with Short-Name, Plugin-Version and Group-Id.
func isPluginExt(ext string) bool { return ext == "hpi" || ext == "jpi" }

// versionQualifiers are the words that may follow a version in a Maven
// version string ("1.0-beta-2", "31.1-jre"): a segment of the file name
// that starts with a digit after one of these is still the same version,
// while after any other word it starts a new one ("log4j-1.2-api-2.17.1").
var versionQualifiers = map[string]bool{
	"alpha": true, "a": true, "beta": true, "b": true, "milestone": true, "m": true,
	"rc": true, "cr": true, "snapshot": true, "ga": true, "final": true, "release": true,
	"sp": true, "patch": true, "jre": true, "android": true, "jdk": true, "ea": true,
	"incubating": true, "preview": true, "dev": true, "pre": true, "build": true,
}

// classifiers are Maven classifiers that build tools append to file names
// after the version; they are not part of the version. OS and CPU
// classifiers ("linux-x86_64", "osx-aarch_64") are recognised apart.
var classifiers = map[string]bool{
	"sources": true, "javadoc": true, "tests": true, "shaded": true, "all": true,
	"uber": true, "nodeps": true, "bin": true, "standalone": true, "exec": true,
	"plain": true, "boot": true, "no_aop": true,
}

var osClassifiers = map[string]bool{
	"linux": true, "osx": true, "macos": true, "darwin": true, "windows": true,
	"win": true, "natives": true, "freebsd": true, "aix": true,
}

// parseFilename splits an archive's base name the way Maven names them,
// "artifactId-version[-classifier].ext": "commons-lang3-3.12.0.jar" gives
// ("commons-lang3", "3.12.0"), "guava-31.1-jre.jar" ("guava", "31.1-jre"),
// "log4j-1.2-api-2.17.1.jar" ("log4j-1.2-api", "2.17.1"). A name without a
// version gives the stem and "". The version starts at the first
// "-<digit>" segment after which every word is a version qualifier, so an
// artifactId holding a number ("log4j-1.2-api") stays whole; a few
// well-known classifiers ("-sources", "-linux-x86_64") are dropped.
func parseFilename(base string) (name, version string) {
	stem := base
	if _, ok := archiveExt(base); ok {
		stem = base[:len(base)-4]
	}
	segs := strings.Split(stem, "-")
	if len(segs) > 64 {
		// No real name has so many parts; keep the cost linear.
		return stem, ""
	}
	start := -1
	for i := 1; i < len(segs); i++ {
		if !startsWithDigit(segs[i]) || segs[i-1] == "" {
			continue
		}
		if onlyQualifiersBetween(segs[i+1:]) {
			start = i
			break
		}
	}
	if start < 0 {
		return stem, ""
	}
	end := len(segs)
	if end-start >= 3 && osClassifiers[strings.ToLower(segs[end-2])] {
		end -= 2
	} else if end-start >= 2 && classifiers[strings.ToLower(segs[end-1])] {
		end--
	} else if end-start >= 4 && strings.EqualFold(strings.Join(segs[end-3:], "-"), "jar-with-dependencies") {
		end -= 3
	}
	return strings.Join(segs[:start], "-"), strings.Join(segs[start:end], "-")
}

// onlyQualifiersBetween reports whether no word other than a version
// qualifier precedes a later digit segment in rest.
func onlyQualifiersBetween(rest []string) bool {
	word := false
	for _, s := range rest {
		switch {
		case startsWithDigit(s):
			if word {
				return false
			}
		case !versionQualifiers[strings.ToLower(trimDigits(s))]:
			word = true
		}
	}
	return true
}

func startsWithDigit(s string) bool { return s != "" && '0' <= s[0] && s[0] <= '9' }

// trimDigits drops trailing digits and dots: "rc1" → "rc", "M2" → "M".
func trimDigits(s string) string {
	return strings.TrimRight(s, "0123456789.")
}
