package python

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// parsePipfile reads a Pipfile.lock: JSON objects of packages per
// category, "default" for [packages] and "develop" for [dev-packages]
// (newer pipenv adds categories of the user's own naming, which are taken
// as production: calling them development could hide what is deployed).
// Versions are written "==1.2.3"; entries without one (VCS, local paths)
// are skipped. A package in both default and develop is a production one.
func parsePipfile(data []byte) ([]dep, error) {
	var lock map[string]json.RawMessage
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	keys := make([]string, 0, len(lock))
	for k := range lock {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []dep
	var bad []string
	for _, category := range keys {
		if category == "_meta" {
			continue
		}
		var section map[string]struct {
			Version json.RawMessage `json:"version"`
		}
		if err := json.Unmarshal(lock[category], &section); err != nil {
			bad = append(bad, category)
			continue
		}
		for name, entry := range section {
			var version string
			if json.Unmarshal(entry.Version, &version) != nil {
				continue
			}
			v, ok := strings.CutPrefix(version, "===")
			if !ok {
				v, ok = strings.CutPrefix(version, "==")
			}
			v = strings.TrimSpace(v)
			if !ok || !validName(name) || !validVersion(v) || strings.Contains(v, "*") {
				continue
			}
			out = append(out, dep{name: normalize(name), version: v, dev: category == "develop"})
		}
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("sections %s are not objects of packages", strings.Join(bad, ", "))
	}
	return out, nil
}
