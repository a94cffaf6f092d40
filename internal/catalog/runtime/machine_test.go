package runtime

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// TestMachineRuntimes runs the cataloger over the real runtimes installed
// on the machine running the tests, too large to commit, and compares
// each version with what the runtime itself says when run. Absent
// runtimes are skipped.
func TestMachineRuntimes(t *testing.T) {
	pyenv := os.Getenv("PYENV_ROOT")
	if pyenv == "" {
		home, _ := os.UserHomeDir()
		pyenv = filepath.Join(home, ".pyenv")
	}
	glob := func(patterns ...string) func() []string {
		return func() []string {
			var out []string
			for _, p := range patterns {
				m, _ := filepath.Glob(p)
				out = append(out, m...)
			}
			return out
		}
	}
	look := func(name string) func() []string {
		return func() []string {
			p, err := exec.LookPath(name)
			if err != nil {
				return nil
			}
			if p, err = filepath.EvalSymlinks(p); err != nil {
				return nil
			}
			return []string{p}
		}
	}
	for _, tc := range []struct {
		name  string
		image string // the name the file gets in the image, if not its own
		files func() []string
		// truth returns what the runtime says of its version, or "" to skip.
		truth func(t *testing.T, file string) string
	}{
		{"python", "", glob("/usr/bin/python3.[0-9]*", "/usr/local/bin/python3.[0-9]*", "/usr/lib/*/libpython3.*.so.1.0"), func(t *testing.T, file string) string {
			if strings.HasSuffix(file, "-config") {
				return ""
			}
			bin := file
			if strings.Contains(file, "libpython") {
				bin = "/usr/bin/python" + pythonMinor(filepath.Base(file))
			}
			return run(t, `^(\S+)\n$`, bin, "-c", "import platform; print(platform.python_version())")
		}},
		{"python-pyenv", "", glob(filepath.Join(pyenv, "versions/*/lib/libpython*.so.1.0")), func(t *testing.T, file string) string {
			return run(t, `^(\S+)\n$`, filepath.Join(filepath.Dir(filepath.Dir(file)), "bin", "python"), "-c", "import platform; print(platform.python_version())")
		}},
		{"node", "usr/local/bin/node", look("node"), func(t *testing.T, file string) string {
			return run(t, `^v(\S+)\n$`, file, "--version")
		}},
		{"openssl", "", look("openssl"), func(t *testing.T, file string) string {
			return run(t, `^OpenSSL (\S+) `, file, "version")
		}},
		{"libcrypto", "", glob("/usr/lib/*/libcrypto.so.3", "/usr/lib64/libcrypto.so.3"), func(t *testing.T, file string) string {
			if _, err := exec.LookPath("openssl"); err != nil {
				return ""
			}
			return run(t, `\(Library: OpenSSL (\S+) `, "openssl", "version")
		}},
		{"postgres", "", glob("/usr/lib/postgresql/*/bin/postgres", "/usr/local/bin/postgres"), func(t *testing.T, file string) string {
			return run(t, `^postgres \(PostgreSQL\) ([0-9][^ \n]*)`, file, "--version")
		}},
		{"redis", "usr/bin/redis-server", look("redis-server"), func(t *testing.T, file string) string {
			return run(t, `^Redis server v=(\S+) `, "redis-server", "--version")
		}},
		{"java", "", glob("/usr/lib/jvm/*/release", "/opt/java/*/release"), func(t *testing.T, file string) string {
			return run(t, `version "([^"]+)"`, filepath.Join(filepath.Dir(file), "bin", "java"), "-version")
		}},
		{"go", "", glob(filepath.Join(os.Getenv("GOROOT"), "VERSION"), "/usr/local/go/VERSION"), func(t *testing.T, file string) string {
			return strings.TrimPrefix(run(t, `^(go\S+)\n$`, filepath.Join(filepath.Dir(file), "bin", "go"), "env", "GOVERSION"), "go")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := tc.files()
			if len(files) == 0 {
				t.Skipf("no %s on this machine", tc.name)
			}
			seen := map[string]bool{}
			for _, f := range files {
				real, err := filepath.EvalSymlinks(f)
				if err != nil || seen[real] {
					continue
				}
				seen[real] = true
				want := tc.truth(t, f)
				if want == "" {
					continue
				}
				image := tc.image
				if image == "" {
					image = strings.TrimPrefix(f, "/")
				}
				r, size := openFixture(t, real)
				got, err := New().Extract(t.Context(), image, r, size)
				if err != nil {
					t.Fatal(err)
				}
				pkgs, warns := catalogtest.CatalogExtracts(t, New(), map[string][]byte{image: got})
				if len(warns) > 0 || len(pkgs) != 1 || pkgs[0].Version != want {
					t.Errorf("%s: got %+v, warnings %q; %s says %s", f, pkgs, warns, tc.name, want)
					continue
				}
				t.Logf("%s: %s %s (%s)", f, pkgs[0].Name, pkgs[0].Version, pkgs[0].Binary.Evidence)
			}
		})
	}
}

// run runs a program and returns the first group of re in its output
// (standard output and error), or "" when the program cannot run.
func run(t *testing.T, re, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Logf("%s %v: %v", name, args, err)
		return ""
	}
	m := regexp.MustCompile(re).FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s %v printed %q, not matching %s", name, args, out, re)
	}
	return string(m[1])
}
