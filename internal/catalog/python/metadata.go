package python

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

// maxClassifiers bounds the licence classifiers kept from one file; real
// distributions declare one or two.
const maxClassifiers = 32

// maxLicenseValue bounds a declared licence kept as free text: some
// distributions put the whole licence in the field.
const maxLicenseValue = 1024

// maxFolded bounds the length a folded field grows to.
const maxFolded = 4 * maxLicenseValue

// metadata is what Vigil reads of a core-metadata file (METADATA,
// PKG-INFO, a file-form .egg-info).
type metadata struct {
	Name              string
	Version           string
	License           string
	LicenseExpression string
	// LicenseClassifiers are the "License :: …" trove classifiers.
	LicenseClassifiers []string
}

// parseMetadata reads the header of a core-metadata file: RFC 822 style
// fields up to the first blank line. The body after it is the long
// description, which can be large and is never looked at. A line that is
// neither a field nor a continuation ends the header, as it does for
// Python's email parser.
func parseMetadata(data []byte) metadata {
	var m metadata
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var field *string // the field a continuation line adds to, if kept
	legacy := false   // Metadata-Version before 2.1
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			// Before Metadata-Version 2.1 the description was a field
			// and nothing followed the header, so a stray blank line
			// inside it (python3-louis has one) is a slip, not the start
			// of a body: carry on when a known field comes next.
			if !legacy {
				break
			}
			next, ok := knownFieldNext(data)
			if !ok {
				break
			}
			data, field = next, nil
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Past maxFolded the value is prose that will be clipped
			// anyway; appending more would only cost quadratic time.
			if field != nil && len(*field) < maxFolded {
				*field += "\n" + string(bytes.TrimSpace(line))
			}
			continue
		}
		key, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			break
		}
		field = nil
		v := string(bytes.TrimSpace(value))
		switch k := string(bytes.TrimSpace(key)); {
		case strings.EqualFold(k, "Metadata-Version"):
			legacy = strings.HasPrefix(v, "1.") || v == "2.0"
		case strings.EqualFold(k, "Name"):
			if m.Name == "" {
				m.Name = v
			}
		case strings.EqualFold(k, "Version"):
			if m.Version == "" {
				m.Version = v
			}
		case strings.EqualFold(k, "License"):
			if m.License == "" {
				m.License = v
				field = &m.License
			}
		case strings.EqualFold(k, "License-Expression"):
			if m.LicenseExpression == "" {
				m.LicenseExpression = v
			}
		case strings.EqualFold(k, "Classifier"):
			if strings.HasPrefix(v, "License ::") && len(m.LicenseClassifiers) < maxClassifiers {
				m.LicenseClassifiers = append(m.LicenseClassifiers, v)
			}
		}
	}
	return m
}

// licenses turns the declared licences into sbom licences. PEP 639's
// License-Expression wins when present. Otherwise the License field is
// used when it maps to SPDX; failing that, the licence classifiers are used
// when at least one of them maps (they are more precise than a free-text
// "BSD" or "LGPL"); failing that, the field is kept as declared, or the
// classifiers are when there is no field.
func licenses(m metadata) []sbom.License {
	if e := strings.TrimSpace(m.LicenseExpression); e != "" {
		spdx, _ := license.Normalize(e)
		return []sbom.License{{SPDX: spdx, Value: e}}
	}
	field := strings.TrimSpace(m.License)
	if strings.EqualFold(field, "UNKNOWN") || strings.EqualFold(field, "None") {
		field = ""
	}
	if field != "" {
		if spdx, ok := license.Normalize(field); ok {
			return []sbom.License{{SPDX: spdx, Value: field}}
		}
	}
	var classified []sbom.License
	mapped := false
	for _, c := range m.LicenseClassifiers {
		i := strings.LastIndex(c, "::")
		name := strings.TrimSpace(c[i+2:])
		// "License :: OSI Approved" alone says nothing about which licence.
		if name == "" || name == "OSI Approved" || name == "License" {
			continue
		}
		spdx, ok := license.Normalize(name)
		mapped = mapped || ok
		l := sbom.License{SPDX: spdx, Value: c}
		if !containsLicense(classified, l) {
			classified = append(classified, l)
		}
	}
	switch {
	case mapped, field == "" && len(classified) > 0:
		return classified
	case field != "":
		return []sbom.License{{Value: clip(field, maxLicenseValue)}}
	}
	return nil
}

func containsLicense(ls []sbom.License, l sbom.License) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// knownFields are the core-metadata field names, in lower case.
var knownFields = map[string]bool{
	"metadata-version": true, "name": true, "version": true, "dynamic": true,
	"platform": true, "supported-platform": true, "summary": true,
	"description": true, "description-content-type": true, "keywords": true,
	"home-page": true, "download-url": true, "author": true, "author-email": true,
	"maintainer": true, "maintainer-email": true, "license": true,
	"license-expression": true, "license-file": true, "classifier": true,
	"requires-dist": true, "requires-python": true, "requires-external": true,
	"project-url": true, "provides-extra": true, "provides-dist": true,
	"obsoletes-dist": true, "requires": true, "provides": true, "obsoletes": true,
}

// knownFieldNext reports whether the first non-blank line of data is a
// core-metadata field, and returns data from that line on.
func knownFieldNext(data []byte) ([]byte, bool) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i]
		}
		if len(bytes.TrimSpace(line)) > 0 {
			key, _, ok := bytes.Cut(line, []byte{':'})
			return data, ok && len(key) < 32 && knownFields[strings.ToLower(string(key))]
		}
		data = data[len(line):]
		if len(data) > 0 {
			data = data[1:]
		}
	}
	return nil, false
}
