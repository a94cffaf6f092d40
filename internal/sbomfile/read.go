// Package sbomfile reads software bills of materials written by Vigil or by
// other tools (CycloneDX, SPDX) back into an inventory, so that an image can
// be scanned from its SBOM alone.
package sbomfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vigilproject/vigil/internal/sbom"
)

// MaxSize is the largest SBOM Read accepts, in bytes. Real SBOMs of even
// very large images stay far below it; the limit keeps a hostile or
// mistaken input from exhausting memory, as decoding holds the whole
// document.
const MaxSize = 256 << 20

// ErrTooLarge is returned (wrapped) for input over MaxSize.
var ErrTooLarge = errors.New("SBOM larger than 256 MiB")

// ErrUnknownFormat is returned (wrapped) when the input is none of the
// formats Read understands.
var ErrUnknownFormat = errors.New("not a Vigil, CycloneDX or SPDX document")

// foundBy is the FoundBy of every package read from an SBOM: the cataloger
// that really found it is the SBOM's producer, which Vigil cannot vouch for.
const foundBy = "sbom"

// Read decodes the SBOM in r, whose format it detects: Vigil's own JSON
// inventory, CycloneDX JSON or XML, or SPDX 2.x JSON or tag-value. name
// names the input in errors and becomes the inventory's Source.Reference.
// Components without a package URL are skipped: without one, Vigil cannot
// tell which advisories apply to them.
func Read(ctx context.Context, name string, r io.Reader) (*sbom.Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("sbomfile: %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("sbomfile: %s: %w", name, ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv, err := decode(ctx, name, data)
	if err != nil {
		return nil, fmt.Errorf("sbomfile: %s: %w", name, err)
	}
	return inv, nil
}

func decode(ctx context.Context, name string, data []byte) (*sbom.Inventory, error) {
	body := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(body) == 0:
		return nil, fmt.Errorf("empty input: %w", ErrUnknownFormat)
	case body[0] == '{':
		return decodeJSON(ctx, name, body)
	case body[0] == '<':
		return decodeCycloneDXXML(ctx, name, body)
	case bytes.Contains(body, []byte("SPDXVersion:")):
		return decodeSPDXTagValue(ctx, name, body)
	}
	return nil, ErrUnknownFormat
}

// jsonHead holds the top-level fields that tell the JSON formats apart.
type jsonHead struct {
	SchemaVersion *int
	Packages      bool // a "packages" member, even null
	BOMFormat     string
	SPDXVersion   string
}

// lenient keeps the reading of JSON as forgiving as encoding/json's:
// member names matched regardless of case, invalid UTF-8 replaced, the
// last of duplicate names kept. What each format requires is for its
// decoder to check.
var lenient = json.JoinOptions(json.MatchCaseInsensitiveNames(true), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

// readHead reads the top-level members that name the format, skipping
// every other value without decoding it: one pass over the document.
func readHead(data []byte) (jsonHead, error) {
	var head jsonHead
	dec := jsontext.NewDecoder(bytes.NewReader(data), lenient)
	if tok, err := dec.ReadToken(); err != nil {
		return head, err
	} else if tok.Kind() != '{' {
		return head, fmt.Errorf("top-level %v is not an object", tok.Kind())
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return head, err
		}
		var dst any
		switch name := tok.String(); {
		case strings.EqualFold(name, "schemaVersion"):
			dst = &head.SchemaVersion
		case strings.EqualFold(name, "bomFormat"):
			dst = &head.BOMFormat
		case strings.EqualFold(name, "spdxVersion"):
			dst = &head.SPDXVersion
		case strings.EqualFold(name, "packages"):
			head.Packages = true
		}
		if dst == nil {
			err = dec.SkipValue()
		} else {
			err = json.UnmarshalDecode(dec, dst, lenient)
		}
		if err != nil {
			return head, err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return head, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return head, errors.New("data after the top-level object")
	}
	return head, nil
}

func decodeJSON(ctx context.Context, name string, data []byte) (*sbom.Inventory, error) {
	head, err := readHead(data)
	if err != nil {
		return nil, fmt.Errorf("decoding JSON: %w", err)
	}
	switch {
	case head.BOMFormat == "CycloneDX":
		return decodeCycloneDXJSON(ctx, name, data)
	case head.SPDXVersion != "":
		return decodeSPDXJSON(ctx, name, data)
	case head.SchemaVersion != nil && head.Packages:
		return decodeVigil(*head.SchemaVersion, data)
	}
	return nil, ErrUnknownFormat
}

func decodeVigil(version int, data []byte) (*sbom.Inventory, error) {
	if version > sbom.SchemaVersion {
		return nil, fmt.Errorf("Vigil inventory schema version %d is newer than this Vigil's %d", version, sbom.SchemaVersion)
	}
	if version < 1 {
		return nil, fmt.Errorf("Vigil inventory schema version %d is not valid", version)
	}
	var inv sbom.Inventory
	if err := json.Unmarshal(data, &inv, lenient); err != nil {
		return nil, fmt.Errorf("decoding Vigil inventory: %w", err)
	}
	return &inv, nil
}

// newInventory starts the inventory of an SBOM named name.
func newInventory(name string) *sbom.Inventory {
	return &sbom.Inventory{
		SchemaVersion: sbom.SchemaVersion,
		Source:        sbom.Source{Kind: "sbom", Reference: name},
		BaseImage:     sbom.BaseImage{Source: sbom.BaseUnknown},
		Packages:      []sbom.Package{},
	}
}
