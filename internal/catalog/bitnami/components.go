package bitnami

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/vigilproject/vigil/internal/catalog"
)

// componentsEntry is one component of .bitnami_components.json, keyed by
// its name: {"redis": {"arch": "amd64", "distro": "debian-10", "type":
// "NAMI", "version": "5.0.14-36", "digest": "…"}}.
type componentsEntry struct {
	Arch    string `json:"arch"`
	Distro  string `json:"distro"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

var (
	errNotComponents = errors.New("not a .bitnami_components.json: not a JSON object of components")
	errNoComponents  = errors.New("no components")
)

// parseComponents reads a .bitnami_components.json, in the order of the
// component names. Bitnami's build copies the file into the image from the
// build context, the same for every architecture, so its arch can be
// another than the image's (amd64 in arm64 images) and its versions can
// lag behind the components installed. The error, when not nil, says what
// was skipped or why nothing could be read; the components read are
// returned with it.
func parseComponents(data []byte) ([]component, error) {
	data = trimBOM(data)
	if jsonStart(data) != '{' {
		if !json.Valid(data) {
			return nil, errors.New("invalid JSON")
		}
		return nil, errNotComponents
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, jsonError(err)
	}
	if len(entries) == 0 {
		return nil, errNoComponents
	}
	var (
		out  []component
		skip catalog.Skips
	)
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		var e componentsEntry
		if err := json.Unmarshal(entries[name], &e); err != nil {
			skip.Add(fmt.Sprintf("component %q", short(name)), jsonError(err))
			continue
		}
		d, err := newComponent(name, e.Version, e.Arch, e.Distro, "")
		if err != nil {
			skip.Add(fmt.Sprintf("component %q", short(name)), err)
			continue
		}
		out = append(out, d)
	}
	return out, skip.Err("entry", "entries")
}
