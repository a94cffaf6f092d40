package license

import "strings"

// gnuFamily describes one GNU licence family, whose SPDX identifiers carry
// an -only or -or-later suffix.
type gnuFamily struct {
	prefix string // in the declared name, lower case
	spdx   string // SPDX identifier stem
	// versions maps a declared version with trailing ".0"s removed to the
	// version SPDX spells.
	versions map[string]string
}

// gnuFamilies is ordered so that no prefix is shadowed by a shorter one.
var gnuFamilies = []gnuFamily{
	{"agpl", "AGPL", map[string]string{"1": "1.0", "3": "3.0"}},
	{"lgpl", "LGPL", map[string]string{"2": "2.0", "2.1": "2.1", "3": "3.0"}},
	{"gpl", "GPL", map[string]string{"1": "1.0", "2": "2.0", "3": "3.0"}},
	// GFDL-NIV is Debian's name for the GFDL without invariant sections.
	{"gfdl-niv", "GFDL", map[string]string{"1.1": "1.1", "1.2": "1.2", "1.3": "1.3"}},
	{"gfdl", "GFDL", map[string]string{"1.1": "1.1", "1.2": "1.2", "1.3": "1.3"}},
	{"fdl", "GFDL", map[string]string{"1.1": "1.1", "1.2": "1.2", "1.3": "1.3"}},
}

// gnu maps the many spellings of versioned GNU licences to SPDX: Debian's
// GPL-2+ and LGPL-2.1, SPDX's deprecated GPL-2.0 and GPL-2.0+, Fedora's
// GPLv2+ and GPL+, and looser forms such as "GNU GPL v3" or "GPLv2 or
// later". key is lower case with single spaces. It is written by hand
// rather than as a regular expression because it sits on the lookup path of
// every such name.
func gnu(key string) (string, bool) {
	s := key
	if rest, ok := strings.CutPrefix(s, "gnu"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '-') {
		s = rest[1:]
	}
	var fam *gnuFamily
	for i := range gnuFamilies {
		if rest, ok := strings.CutPrefix(s, gnuFamilies[i].prefix); ok {
			fam, s = &gnuFamilies[i], rest
			break
		}
	}
	if fam == nil {
		return "", false
	}

	// SPDX spells the GFDL's invariant-sections variants inside the id;
	// Debian puts them before or after the "+" ("GFDL-1.3+-no-invariant").
	variant := ""
	if fam.prefix == "gfdl-niv" {
		variant = "-no-invariants"
	}
	cutVariant := func() {
		if fam.spdx != "GFDL" || variant != "" {
			return
		}
		for _, v := range [][2]string{{"-no-invariants", "-no-invariants"}, {"-no-invariant", "-no-invariants"}, {"-invariants", "-invariants"}} {
			if rest, ok := strings.CutSuffix(s, v[0]); ok {
				s, variant = rest, v[1]
				return
			}
		}
	}
	cutVariant()

	// The "or later" marker.
	later, only := false, false
	for _, suf := range []string{"+", "-or-later", " or later", " or any later version", " or newer"} {
		if rest, ok := strings.CutSuffix(s, suf); ok {
			s, later = rest, true
			break
		}
	}
	if !later {
		for _, suf := range []string{"-only", " only"} {
			if rest, ok := strings.CutSuffix(s, suf); ok {
				s, only = rest, true
				break
			}
		}
	}
	cutVariant()

	// Separator between family and version: "GPL-2", "GPLv2", "GPL v2",
	// "GPL-v2", "GPL 2", "GPL2".
	hyphen := false
	switch {
	case strings.HasPrefix(s, "-"):
		s, hyphen = s[1:], true
	case strings.HasPrefix(s, " "):
		s = s[1:]
	}
	if strings.HasPrefix(s, "v") {
		s, hyphen = s[1:], false
	}

	if s == "" {
		// Only Fedora's "GPL+" says something without a version: any
		// version at all. A bare "GPL" could mean any of them.
		if later && !only && variant == "" && fam.prefix == "gpl" {
			return "GPL-1.0-or-later", true
		}
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '.') {
			return "", false
		}
	}
	v := s
	for strings.HasSuffix(v, ".0") {
		v = strings.TrimSuffix(v, ".0")
	}
	// Debian's LGPL-2 is version 2.0 by definition, but "LGPLv2" and
	// "LGPL v2" are used for both 2.0 and 2.1 (Fedora documents its LGPLv2
	// that way), so only the hyphenated spelling maps.
	if fam.prefix == "lgpl" && v == "2" && !hyphen {
		return "", false
	}
	ver, ok := fam.versions[v]
	if !ok {
		return "", false
	}
	suffix := "-only"
	if later {
		suffix = "-or-later"
	}
	// The table's keys are lower case; so are all the parts but the stem.
	id, ok := licenseIDs[strings.ToLower(fam.spdx)+"-"+ver+variant+suffix]
	return id, ok
}
