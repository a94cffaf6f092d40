package java

import (
	"strings"

	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

// maxLicenses bounds the licences read from one Bundle-License header.
const maxLicenses = 16

// bundleLicenses reads an OSGi Bundle-License header: a comma-separated
// list of licences, each a name (an SPDX identifier or, very often, a
// URL) optionally followed by ";description=…" and ";link=…" attributes,
// any of them quoted. Value is the licence's name as declared; SPDX is set
// when the name, or failing that the link, maps to one SPDX licence.
// "<<EXTERNAL>>" (the licence is elsewhere) gives nothing.
func bundleLicenses(h string) []sbom.License {
	var out []sbom.License
	for _, clause := range splitOutsideQuotes(h, ',') {
		if len(out) == maxLicenses {
			break
		}
		parts := splitOutsideQuotes(clause, ';')
		name := unquote(parts[0])
		if name == "" || name == "<<EXTERNAL>>" {
			continue
		}
		l := sbom.License{Value: name}
		if s, ok := spdxOf(name); ok {
			l.SPDX = s
		} else {
			for _, attr := range parts[1:] {
				k, v, _ := strings.Cut(attr, "=")
				if strings.EqualFold(strings.TrimSpace(k), "link") {
					if s, ok := spdxOf(unquote(v)); ok {
						l.SPDX = s
					}
				}
			}
		}
		out = append(out, l)
	}
	return out
}

// spdxOf maps a licence name or a well-known licence URL to SPDX.
func spdxOf(s string) (string, bool) {
	if u, ok := licenseURLKey(s); ok {
		v, found := licenseURLs[u]
		return v, found
	}
	return license.Normalize(s)
}

// licenseURLs maps the licence URLs Maven and OSGi metadata use most to
// SPDX identifiers, keyed as licenseURLKey folds them. Only URLs that name
// one licence exactly are listed: gnu.org's LGPL pages say nothing of
// "only" or "or later", so they are left out.
var licenseURLs = map[string]string{
	"apache.org/licenses/license-2.0":           "Apache-2.0",
	"opensource.org/licenses/apache-2.0":        "Apache-2.0",
	"opensource.org/licenses/mit":               "MIT",
	"opensource.org/licenses/mit-license":       "MIT",
	"opensource.org/licenses/bsd-2-clause":      "BSD-2-Clause",
	"opensource.org/licenses/bsd-3-clause":      "BSD-3-Clause",
	"opensource.org/licenses/epl-1.0":           "EPL-1.0",
	"opensource.org/licenses/epl-2.0":           "EPL-2.0",
	"eclipse.org/legal/epl-v10":                 "EPL-1.0",
	"eclipse.org/legal/epl-2.0":                 "EPL-2.0",
	"eclipse.org/legal/epl-v20":                 "EPL-2.0",
	"eclipse.org/org/documents/edl-v10":         "BSD-3-Clause",
	"mozilla.org/mpl/2.0":                       "MPL-2.0",
	"opensource.org/licenses/mpl-2.0":           "MPL-2.0",
	"creativecommons.org/publicdomain/zero/1.0": "CC0-1.0",
}

// licenseURLKey folds a URL for lookup: no scheme, no "www.", lower case,
// no trailing slash or .txt/.html/.php. ok is false for what is not a URL.
func licenseURLKey(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return "", false
		}
	}
	rest = strings.TrimPrefix(rest, "www.")
	rest = strings.TrimSuffix(rest, "/")
	for _, ext := range []string{".txt", ".html", ".php"} {
		rest = strings.TrimSuffix(rest, ext)
	}
	return rest, true
}

// splitOutsideQuotes splits s at sep where sep is not inside double quotes.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}
