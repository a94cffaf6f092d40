package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/server/api"
)

func TestImpactTable(t *testing.T) {
	imp := &api.Impact{ID: "CVE-2024-5535", Aliases: []string{"CVE-2024-5535", "DSA-5728-1"}, Summary: "overread\x1b]0;title\x07", Severity: "high", KEV: true, DBVersion: 9,
		Images: []api.ImpactImage{
			{Digest: "sha256:aa", Repository: "registry.example/app", Tag: "1", Packages: []api.ImpactPackage{
				{Name: "libssl3", Version: "3.0.11-1~deb12u2", Status: "fixed", Fixed: []string{"3.0.14-1~deb12u1"}, FixWhere: "base-image", InBase: true},
				{Name: "openssl", Version: "3.0.11-1~deb12u2", Status: "fixed", Fixed: []string{"3.0.14-1~deb12u1"}, FixWhere: "base-image", Layer: 1},
			}},
			{Digest: "sha256:bb", Repository: "registry.example/other", Packages: []api.ImpactPackage{{Name: "libssl3", Version: "3.0.9", Status: "affected"}}},
		}}
	var buf bytes.Buffer
	if err := writeImpact(&buf, imp, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"CVE-2024-5535 (DSA-5728-1)  high  known exploited\n",
		"overread ]0;title \n",
		"registry.example/app:1  libssl3  3.0.11-1~deb12u2  fixed     3.0.14-1~deb12u1  base-image  0 (base)  sha256:aa\n",
		"                        openssl  3.0.11-1~deb12u2  fixed     3.0.14-1~deb12u1  base-image  1\n",
		"registry.example/other  libssl3  3.0.9             affected  -                 -           0         sha256:bb\n",
		"2 images, 3 packages affected\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters from the server reached the terminal:\n%q", out)
	}
}
