package runtime

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// maxVersionFile bounds the version files wanted: a JDK's release file is
// about 2 KiB, a Go VERSION file a few dozen bytes.
const maxVersionFile = 64 << 10

// looksLikeVersionFile is Extract's cheap test of whether a version file
// is worth keeping: most files named "release" or "VERSION" belong to
// something else.
func looksLikeVersionFile(p product, b []byte) bool {
	switch p {
	case javaRelease:
		return bytes.HasPrefix(b, []byte("JAVA_VERSION=")) || bytes.Contains(b, []byte("\nJAVA_VERSION="))
	case goVersion:
		return bytes.HasPrefix(b, []byte("go")) && len(b) > 2 && isDigit(b[2])
	}
	return false
}

// parseJavaRelease reads a JDK's release file (JEP 220: the JDK's own
// description, KEY="value" lines) and returns JAVA_VERSION and the
// evidence. IMPLEMENTOR, when present, joins the evidence: the version
// numbers of OpenJDK builds are the same whoever built them.
func parseJavaRelease(b []byte) (version, evidence string, err error) {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxVersionFile)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `"`)
		}
		vals[k] = v
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	v, ok := vals["JAVA_VERSION"]
	if !ok {
		return "", "", fmt.Errorf("no JAVA_VERSION")
	}
	if !isJavaVersion(v) {
		return "", "", fmt.Errorf("JAVA_VERSION %q is not a release version", v)
	}
	evidence = "JAVA_VERSION=" + strconv.Quote(v)
	if impl := vals["IMPLEMENTOR"]; impl != "" {
		evidence += " IMPLEMENTOR=" + strconv.Quote(printable([]byte(impl)))
	}
	return v, evidence, nil
}

// isJavaVersion accepts the release versions of JEP 322 ("17.0.15",
// "21", "17.0.21.1") and the old scheme ("1.8.0_402"); early-access
// builds ("22-ea") are not releases.
func isJavaVersion(v string) bool {
	main, update, hasUpdate := strings.Cut(v, "_")
	if hasUpdate && (update == "" || digits(update) != len(update) || len(update) > 6) {
		return false
	}
	return len(main) <= 32 && isDotted(main)
}

// parseGoVersion reads a Go toolchain's VERSION file: "go1.22.5" on the
// first line, and since Go 1.21 a "time …" line after it. Development
// toolchains ("devel go1.23-…") are not releases.
func parseGoVersion(b []byte) (version, evidence string, err error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	s := strings.TrimSpace(string(line))
	v, ok := strings.CutPrefix(s, "go")
	if !ok {
		return "", "", fmt.Errorf("first line %q does not start with \"go\"", printable(line))
	}
	// go1.20, go1.21.0, go1.21rc2, go1.18beta1.
	d := []byte(v)
	e := nums(d, 0, 2, 3)
	if e > 0 {
		e = preRelease(d, e, "rc", "beta")
	}
	if e < 0 || e != len(d) {
		return "", "", fmt.Errorf("first line %q is not a Go release", printable(line))
	}
	return v, s, nil
}
