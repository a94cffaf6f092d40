package catalog

import (
	"bufio"
	"bytes"
	"io/fs"
	"strings"

	"github.com/vigilproject/vigil/internal/sbom"
)

// distroFiles are read to tell the operating system, most telling first.
var distroFiles = []string{
	"etc/os-release",
	"usr/lib/os-release",
	"etc/alpine-release",
	"etc/debian_version",
	"etc/redhat-release",
	"etc/centos-release",
	"etc/fedora-release",
	"etc/system-release",
}

func wantsDistro(p string) bool {
	if !strings.HasPrefix(p, "etc/") && p != "usr/lib/os-release" {
		return false
	}
	for _, f := range distroFiles {
		if p == f {
			return true
		}
	}
	return false
}

// debianCodenames maps Debian major versions to codenames, for images whose
// os-release lacks VERSION_CODENAME (and for /etc/debian_version alone).
var debianCodenames = map[string]string{
	"7": "wheezy", "8": "jessie", "9": "stretch", "10": "buster",
	"11": "bullseye", "12": "bookworm", "13": "trixie", "14": "forky",
}

// DetectDistro tells the operating system from the release files in fsys.
// It returns nil when the image has none of them. A distroless image
// (Debian's status.d without os-release data) is flagged by the caller.
func DetectDistro(fsys fs.FS) *sbom.Distro {
	read := func(name string) []byte {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil
		}
		return b
	}
	for _, name := range []string{"etc/os-release", "usr/lib/os-release"} {
		if b := read(name); b != nil {
			d := parseOSRelease(b)
			if d.ID == "" {
				continue
			}
			d.Source = "/" + name
			refine(&d, read)
			return &d
		}
	}
	if b := read("etc/alpine-release"); b != nil {
		v := firstLine(b)
		return &sbom.Distro{ID: "alpine", VersionID: v, PrettyName: "Alpine Linux v" + v, Source: "/etc/alpine-release", Unknown: v == ""}
	}
	if b := read("etc/debian_version"); b != nil {
		d := sbom.Distro{ID: "debian", Source: "/etc/debian_version"}
		debianFromVersionFile(&d, firstLine(b))
		return &d
	}
	for _, name := range []string{"etc/redhat-release", "etc/centos-release", "etc/fedora-release", "etc/system-release"} {
		if b := read(name); b != nil {
			d := parseRedHatRelease(firstLine(b))
			d.Source = "/" + name
			return &d
		}
	}
	return nil
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	return strings.TrimSpace(string(line))
}

// refine fills what os-release leaves out, from the distribution's own
// version file: Debian's os-release has no VERSION_ID on testing/sid, and
// its point release lives in /etc/debian_version.
func refine(d *sbom.Distro, read func(string) []byte) {
	if d.ID == "debian" {
		if d.Codename == "" && d.VersionID != "" {
			d.Codename = debianCodenames[d.VersionID]
		}
		if d.VersionID == "" {
			if b := read("etc/debian_version"); b != nil {
				debianFromVersionFile(d, firstLine(b))
			}
		}
	}
	// A rolling distribution has one release: its advisories need no
	// version.
	if d.VersionID == "" && d.Codename == "" && !rolling[d.ID] {
		d.Unknown = true
	}
}

// rolling lists the os-release IDs of distributions without releases.
var rolling = map[string]bool{"wolfi": true, "chainguard": true}

// debianFromVersionFile reads /etc/debian_version: "12.7" on a release,
// "trixie/sid" on testing.
func debianFromVersionFile(d *sbom.Distro, v string) {
	if v == "" {
		d.Unknown = true
		return
	}
	if major, _, _ := strings.Cut(v, "."); major != "" && major[0] >= '0' && major[0] <= '9' {
		d.VersionID = major
		if d.Codename == "" {
			d.Codename = debianCodenames[major]
		}
		return
	}
	// "trixie/sid": a testing or unstable system, no release number.
	code, _, _ := strings.Cut(v, "/")
	if d.Codename == "" {
		d.Codename = code
	}
}

// parseOSRelease reads the os-release format: KEY=value lines, values
// optionally quoted with shell-like escapes.
func parseOSRelease(b []byte) sbom.Distro {
	var d sbom.Distro
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = unquote(strings.TrimSpace(v))
		switch k {
		case "ID":
			d.ID = strings.ToLower(v)
		case "VERSION_ID":
			d.VersionID = v
		case "VERSION_CODENAME":
			d.Codename = v
		case "PRETTY_NAME":
			d.PrettyName = v
		case "ID_LIKE":
			d.IDLike = strings.Fields(v)
		}
	}
	return d
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
		if strings.Contains(v, `\`) {
			var sb strings.Builder
			for i := 0; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				sb.WriteByte(v[i])
			}
			v = sb.String()
		}
	}
	return v
}

// parseRedHatRelease reads lines like "Red Hat Enterprise Linux release
// 8.9 (Ootpa)" or "CentOS Linux release 7.9.2009 (Core)".
func parseRedHatRelease(line string) sbom.Distro {
	d := sbom.Distro{PrettyName: line}
	lower := strings.ToLower(line)
	switch {
	case strings.HasPrefix(lower, "red hat"):
		d.ID = "rhel"
	case strings.HasPrefix(lower, "centos"):
		d.ID = "centos"
	case strings.HasPrefix(lower, "fedora"):
		d.ID = "fedora"
	case strings.HasPrefix(lower, "rocky"):
		d.ID = "rocky"
	case strings.HasPrefix(lower, "almalinux"):
		d.ID = "almalinux"
	case strings.HasPrefix(lower, "amazon"):
		d.ID = "amzn"
	case strings.HasPrefix(lower, "oracle"):
		d.ID = "ol"
	default:
		d.ID = "unknown"
	}
	if _, rest, ok := strings.Cut(lower, "release "); ok {
		v := strings.Fields(rest)
		if len(v) > 0 {
			d.VersionID = v[0]
		}
	}
	d.Unknown = d.ID == "unknown" || d.VersionID == ""
	return d
}
