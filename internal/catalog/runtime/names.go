package runtime

import "strings"

// product is a runtime this cataloger knows.
type product uint8

const (
	noProduct product = iota
	nodeJS
	python
	php
	ruby
	nginx
	httpd
	redis
	postgres
	busybox
	openssl
	// The two version files: a JDK's release file and a Go toolchain's
	// VERSION file.
	javaRelease
	goVersion
)

// names are the package names reported, as Syft's binary classifier names
// them, so that results compare across tools.
var names = [...]string{
	nodeJS:      "node",
	python:      "python",
	php:         "php",
	ruby:        "ruby",
	nginx:       "nginx",
	httpd:       "httpd",
	redis:       "redis",
	postgres:    "postgresql",
	busybox:     "busybox",
	openssl:     "openssl",
	javaRelease: "openjdk",
	goVersion:   "go",
}

func (p product) String() string {
	if int(p) < len(names) {
		return names[p]
	}
	return ""
}

// fileKind says what a file name is for this cataloger.
type fileKind uint8

const (
	notWanted   fileKind = iota
	executable           // wanted only with an execute bit
	library              // a shared library: no execute bit needed
	versionFile          // a small text file
)

// classify tells from a base name alone which product a file may hold and
// what kind of file it must be. It runs for every file of every layer, so
// it only compares bytes: no allocation, no regexp.
func classify(base string) (product, fileKind) {
	if base == "" {
		return noProduct, notWanted
	}
	switch base[0] {
	case 'V':
		if base == "VERSION" {
			return goVersion, versionFile
		}
	case 'r':
		switch {
		case base == "release":
			return javaRelease, versionFile
		case base == "redis-server":
			return redis, executable
		case base == "ruby" || strings.HasPrefix(base, "ruby") && isDotted(base[4:]):
			// ruby, and Debian's ruby3.1.
			return ruby, executable
		}
	case 'n':
		switch base {
		case "node", "nodejs":
			return nodeJS, executable
		case "nginx":
			return nginx, executable
		}
	case 'p':
		switch {
		case base == "postgres":
			return postgres, executable
		case pythonMinor(base) != "":
			return python, executable
		case isPHPName(base):
			return php, executable
		}
	case 'h':
		if base == "httpd" {
			return httpd, executable
		}
	case 'a':
		if base == "apache2" {
			return httpd, executable
		}
	case 'b':
		if base == "busybox" {
			return busybox, executable
		}
	case 'o':
		if base == "openssl" {
			return openssl, executable
		}
	case 'l':
		return classifyLib(base)
	}
	return noProduct, notWanted
}

// classifyLib handles the shared libraries ("lib…so…").
func classifyLib(base string) (product, fileKind) {
	rest, ok := strings.CutPrefix(base, "lib")
	if !ok {
		return noProduct, notWanted
	}
	switch {
	case soName(rest, "node", ""):
		// Debian's nodejs puts the engine in libnode.so.108.
		return nodeJS, library
	case pythonMinor(base) != "":
		return python, library
	case soName(rest, "php", "") || soName(rest, "php", "v"):
		// libphp.so (PHP 8), libphp7.so, Debian's libphp8.2.so.
		return php, library
	case soName(rest, "ruby", "") || soName(rest, "ruby", "-") || soName(rest, "ruby", "v"):
		// libruby.so.3.2.2, Debian's libruby-3.1.so.3.1.
		return ruby, library
	case soName(rest, "crypto", "") || soName(rest, "crypto", "-") ||
		soName(rest, "ssl", "") || soName(rest, "ssl", "-"):
		// libcrypto.so.3, and the copies Python wheels vendor under
		// hashed names (libcrypto-d3570994.so.3). NSS's libssl3.so is
		// not OpenSSL and is left alone.
		return openssl, library
	}
	return noProduct, notWanted
}

// soName reports whether s is stem, then a middle part, then ".so" and
// nothing or a "."-separated suffix. middle is "" for none, "v" for a
// dotted version ("8.2"), "-" for a dash and any word without dots
// ("-3.1" is also accepted, as Debian's libruby-3.1.so names it).
func soName(s, stem, middle string) bool {
	rest, ok := strings.CutPrefix(s, stem)
	if !ok {
		return false
	}
	i := strings.Index(rest, ".so")
	if i < 0 {
		return false
	}
	mid, tail := rest[:i], rest[i+len(".so"):]
	if tail != "" && tail[0] != '.' {
		return false
	}
	switch middle {
	case "":
		return mid == ""
	case "v":
		return isDotted(mid)
	case "-":
		return len(mid) > 1 && mid[0] == '-' && (isDotted(mid[1:]) || isWord(mid[1:]))
	}
	return false
}

// pythonMinor returns "3.11" for python3.11, python3.7m, libpython3.11.so
// and libpython3.7m.so.1.0 (with or without "lib"), and "" for anything
// else: the version in the name is what the scan looks for, and python3
// alone does not give it.
func pythonMinor(base string) string {
	lib := strings.HasPrefix(base, "lib")
	s, ok := strings.CutPrefix(strings.TrimPrefix(base, "lib"), "python")
	if !ok {
		return ""
	}
	i := digits(s)
	if i == 0 || i >= len(s) || s[i] != '.' {
		return ""
	}
	j := i + 1 + digits(s[i+1:])
	if j == i+1 {
		return ""
	}
	mm, rest := s[:j], s[j:]
	rest = strings.TrimPrefix(rest, "m") // the pymalloc ABI flag of 3.7 and older
	switch {
	case !lib && rest == "":
		return mm
	case lib && (rest == ".so" || strings.HasPrefix(rest, ".so.")):
		return mm
	}
	return ""
}

// isPHPName matches php, php-fpm, php-cgi, each optionally followed by a
// version (Debian's php8.2 and php-fpm8.2, Alpine's php81 and php-fpm81).
func isPHPName(base string) bool {
	s, ok := strings.CutPrefix(base, "php")
	if !ok {
		return false
	}
	if t, ok := strings.CutPrefix(s, "-fpm"); ok {
		s = t
	} else if t, ok := strings.CutPrefix(s, "-cgi"); ok {
		s = t
	}
	return s == "" || isDotted(s)
}

// isDotted reports whether s is digits separated by single dots: "8",
// "8.2", "81".
func isDotted(s string) bool {
	if s == "" {
		return false
	}
	for {
		n := digits(s)
		if n == 0 {
			return false
		}
		s = s[n:]
		if s == "" {
			return true
		}
		if s[0] != '.' {
			return false
		}
		s = s[1:]
	}
}

// isWord reports whether s is letters and digits only, as in the hashes
// auditwheel puts in vendored library names.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func digits[T string | []byte](s T) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isAlnum(c byte) bool {
	return isDigit(c) || isLower(c) || 'A' <= c && c <= 'Z'
}
