package runtime

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// TestDebianSamples catalogs the Debian packages that testdata/samples.sh
// fetched into $VIGIL_RUNTIME_SAMPLES, and checks each version against
// the upstream part of the package's version.
func TestDebianSamples(t *testing.T) {
	dir := os.Getenv("VIGIL_RUNTIME_SAMPLES")
	if dir == "" {
		t.Skip("VIGIL_RUNTIME_SAMPLES not set: run testdata/samples.sh DIR first")
	}
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("manifest line %q", sc.Text())
		}
		pkg, debVersion, file, image := cols[0], cols[1], cols[2], cols[3]
		t.Run(pkg, func(t *testing.T) {
			r, size := openFixture(t, filepath.Join(dir, "root", pkg, file))
			data, err := New().Extract(t.Context(), image, r, size)
			if err != nil {
				t.Fatal(err)
			}
			pkgs, warns := catalogtest.CatalogExtracts(t, New(), map[string][]byte{image: data})
			want := upstreamVersion(debVersion)
			if len(warns) > 0 || len(pkgs) != 1 || pkgs[0].Version != want {
				t.Fatalf("got %+v, warnings %q; want version %s (Debian %s)", pkgs, warns, want, debVersion)
			}
			t.Logf("%s %s: %s", pkgs[0].Name, pkgs[0].Version, pkgs[0].Binary.Evidence)
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// upstreamVersion returns the upstream part of a Debian version:
// "1:1.35.0-4+deb12u1" → "1.35.0", "18.20.4+dfsg-1" → "18.20.4",
// "17.0.21.1+2-1~deb12u1" → "17.0.21.1", and for a repackaged older
// release, "3.1.7+really3.1.2-0+deb12u1" → "3.1.2".
func upstreamVersion(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v = v[:i]
	}
	if _, after, ok := strings.Cut(v, "+really"); ok {
		return after
	}
	v, _, _ = strings.Cut(v, "+")
	v, _, _ = strings.Cut(v, "~")
	return v
}

func TestUpstreamVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1:1.35.0-4+deb12u1+b1":       "1.35.0",
		"18.20.4+dfsg-1~deb12u3":      "18.20.4",
		"17.0.21.1+2-1~deb12u1":       "17.0.21.1",
		"3.1.7+really3.1.2-0+deb12u1": "3.1.2",
		"5:7.0.15-1~deb12u10":         "7.0.15",
		"1.19.8-2":                    "1.19.8",
	} {
		if got := upstreamVersion(in); got != want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
