package rpm

import (
	"strings"

	"github.com/vigilproject/vigil/internal/license"
)

// licenseSPDX returns the SPDX expression for an rpm License tag, or "" when
// there is none that is certain. Fedora (since 2022) and SUSE write SPDX
// expressions; RHEL, CentOS and older Fedora write the abbreviations of
// Fedora's legacy licence list, joined with lower-case "and"/"or". Those are
// translated when every abbreviation has exactly one SPDX equivalent; a tag
// with an ambiguous one ("BSD", "LGPLv2", "Public Domain") gets no SPDX
// expression, because a wrong one is worse than none.
func licenseSPDX(value string) string {
	if len(value) > maxLicense {
		return ""
	}
	if s := spdx(value); s != "" {
		return s
	}
	return spdx(translateLegacy(value))
}

// maxLicense bounds the licence tags checked against SPDX: real ones stay
// well under it, and the validator's cost grows faster than linearly, so a
// crafted megabyte-long tag would stall the scan.
const maxLicense = 4 << 10

// spdx returns the canonical form of value when it is a valid SPDX licence
// expression, and "" otherwise.
func spdx(value string) string {
	if strings.TrimSpace(value) == "" || len(value) > maxLicense {
		return ""
	}
	if s, ok := license.Normalize(value); ok {
		return s
	}
	return ""
}

// translateLegacy rewrites a Fedora legacy licence tag such as
// "GPLv2+ and (MIT or ASL 2.0)" as an SPDX expression, keeping its structure;
// it returns "" when some part has no certain SPDX equivalent.
func translateLegacy(value string) string {
	var out []string
	var atom []string // words of the licence name being read
	flush := func() bool {
		if len(atom) == 0 {
			return true
		}
		id := legacyID(strings.Join(atom, " "))
		atom = atom[:0]
		if id == "" {
			return false
		}
		out = append(out, id)
		return true
	}
	for _, w := range strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(value)) {
		switch strings.ToLower(w) {
		case "and", "or", "(", ")":
			if !flush() {
				return ""
			}
			out = append(out, strings.ToUpper(w))
		default:
			atom = append(atom, w)
		}
	}
	if !flush() {
		return ""
	}
	return strings.Join(out, " ")
}

// legacyID returns the SPDX identifier for one licence name of Fedora's
// legacy list, or "" when it has no single equivalent. Names that are
// already SPDX identifiers ("MIT", "zlib", "OpenSSL") are accepted as such.
func legacyID(name string) string {
	switch name {
	case "GPL+":
		return "GPL-1.0-or-later"
	case "GPLv2":
		return "GPL-2.0-only"
	case "GPLv2+":
		return "GPL-2.0-or-later"
	case "GPLv3":
		return "GPL-3.0-only"
	case "GPLv3+":
		return "GPL-3.0-or-later"
	case "LGPLv2+":
		// Fedora used this for both "2.0 or later" and "2.1 or later";
		// "2.0 or later" already permits 2.1 and later, so it covers both.
		return "LGPL-2.0-or-later"
	case "LGPLv3":
		return "LGPL-3.0-only"
	case "LGPLv3+":
		return "LGPL-3.0-or-later"
	case "AGPLv3":
		return "AGPL-3.0-only"
	case "AGPLv3+":
		return "AGPL-3.0-or-later"
	case "ASL 1.0":
		return "Apache-1.0"
	case "ASL 1.1":
		return "Apache-1.1"
	case "ASL 2.0":
		return "Apache-2.0"
	case "MPLv1.0":
		return "MPL-1.0"
	case "MPLv1.1":
		return "MPL-1.1"
	case "MPLv2.0":
		return "MPL-2.0"
	case "Boost":
		return "BSL-1.0"
	case "Artistic 2.0":
		return "Artistic-2.0"
	case "Artistic clarified":
		return "ClArtistic"
	case "CC0":
		return "CC0-1.0"
	case "EPL":
		return "EPL-1.0"
	case "OpenLDAP":
		return "OLDAP-2.8"
	// Names that look like SPDX identifiers but meant something wider in
	// Fedora's legacy list.
	case "BSD", "Python", "OFL", "GFDL", "Artistic", "Public Domain":
		return ""
	}
	// A single SPDX identifier, as legacy tags often mix them in ("MIT",
	// "ISC", "zlib"); anything longer must not slip through as an atom.
	if strings.ContainsAny(name, " ()") {
		return ""
	}
	return spdx(name)
}
