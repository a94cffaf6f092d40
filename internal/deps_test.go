package internal

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyRules keeps the package map of docs/architecture.md true:
// vocabulary packages import only the standard library, and catalogers
// neither talk to the network nor to a store.
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/vigilproject/vigil/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	const mod = "github.com/vigilproject/vigil/"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], mod) {
			continue
		}
		pkg, imports := strings.TrimPrefix(fields[0], mod), fields[1:]
		for _, imp := range imports {
			switch {
			case pkg == "internal/sbom" || pkg == "internal/advisory":
				if strings.Contains(strings.Split(imp, "/")[0], ".") {
					t.Errorf("%s imports %s: vocabulary packages use the standard library only", pkg, imp)
				}
			case strings.HasPrefix(pkg, "internal/catalog/") || pkg == "internal/catalog":
				if imp == "net/http" || strings.HasPrefix(imp, mod+"internal/store") {
					t.Errorf("%s imports %s: catalogers read files, they do not talk to servers or stores", pkg, imp)
				}
				// rpm's newest database format is an SQLite file; reading
				// it is parsing a file format, the only use allowed.
				if imp == "database/sql" && pkg != "internal/catalog/rpm" {
					t.Errorf("%s imports database/sql", pkg)
				}
			}
			if strings.HasPrefix(imp, mod+"cmd/") {
				t.Errorf("%s imports a command package %s", pkg, imp)
			}
		}
	}
}
