package bitnami

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
)

// document is the part of an SPDX 2 JSON document Vigil reads. Packages are
// decoded one by one so that a malformed one costs only itself.
type document struct {
	SPDXVersion *string            `json:"spdxVersion"`
	Packages    *[]json.RawMessage `json:"packages"`
}

// spdxPackage is one entry of a document's packages. Bitnami writes the
// component the document describes first, then those built into it, then
// what its own scan of the files found (jars, Go modules …), each with its
// PURL among the externalRefs.
type spdxPackage struct {
	Name             string        `json:"name"`
	VersionInfo      string        `json:"versionInfo"`
	LicenseConcluded string        `json:"licenseConcluded"`
	LicenseDeclared  string        `json:"licenseDeclared"`
	ExternalRefs     []externalRef `json:"externalRefs"`
}

type externalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

var (
	errTagValue   = errors.New("SPDX tag-value document: only SPDX JSON is read")
	errNoBitnami  = errors.New("no package with a pkg:bitnami PURL")
	errNoPackages = errors.New("not an SPDX document of Bitnami components: no \"packages\" list")
)

// parseDocument reads the pkg:bitnami components of an SPDX 2 JSON
// document. The error, when not nil, says what was skipped or why nothing
// could be read; the components read are returned with it.
func parseDocument(data []byte) ([]component, error) {
	data = trimBOM(data)
	switch jsonStart(data) {
	case '{':
	case 'S':
		if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("SPDXVersion:")) {
			return nil, errTagValue
		}
		fallthrough
	default:
		if !json.Valid(data) {
			return nil, errors.New("invalid JSON")
		}
		return nil, errors.New("not an SPDX JSON document: not a JSON object")
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(err)
	}
	if doc.SPDXVersion == nil {
		return nil, errors.New("not an SPDX JSON document: no spdxVersion")
	}
	if !strings.HasPrefix(*doc.SPDXVersion, "SPDX-2.") {
		return nil, fmt.Errorf("spdxVersion %q: only SPDX 2 documents are read", short(*doc.SPDXVersion))
	}
	if doc.Packages == nil {
		return nil, errNoPackages
	}
	var (
		out  []component
		skip catalog.Skips
	)
	for i, raw := range *doc.Packages {
		var p spdxPackage
		if err := json.Unmarshal(raw, &p); err != nil {
			skip.Add(fmt.Sprintf("package %d", i+1), jsonError(err))
			continue
		}
		d, found, err := bitnamiComponent(p)
		if err != nil {
			skip.Add(fmt.Sprintf("package %d (%q)", i+1, short(p.Name)), err)
			continue
		}
		if found {
			out = append(out, d)
		}
	}
	if err := skip.Err("entry", "entries"); err != nil {
		return out, err
	}
	if len(out) == 0 {
		return nil, errNoBitnami
	}
	return out, nil
}

// bitnamiComponent returns the component p stands for when one of its
// PURLs is a pkg:bitnami one; found is false when none is.
func bitnamiComponent(p spdxPackage) (component, bool, error) {
	const prefix = "pkg:bitnami/"
	lic := declaredLicense(p.LicenseConcluded, p.LicenseDeclared)
	for _, r := range p.ExternalRefs {
		if !strings.EqualFold(r.Type, "purl") || len(r.Locator) < len(prefix) || !strings.EqualFold(r.Locator[:len(prefix)], prefix) {
			continue
		}
		d, err := fromPURL(r.Locator, p.VersionInfo, lic)
		return d, err == nil, err
	}
	return component{}, false, nil
}

// jsonError words a decoding error: the document is not JSON, or not JSON
// of the expected shape ("packages is an object, want a list").
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	what := "the value"
	if typeErr.Field != "" {
		what = typeErr.Field
	}
	want := "a " + typeErr.Type.Kind().String()
	switch typeErr.Type.Kind() {
	case reflect.Slice:
		want = "a list"
	case reflect.Struct, reflect.Map:
		want = "an object"
	}
	article := "a"
	if v := typeErr.Value; v != "" && strings.ContainsRune("aeiou", rune(v[0])) {
		article = "an"
	}
	return fmt.Errorf("unexpected JSON: %s is %s %s, want %s", what, article, typeErr.Value, want)
}
