package monitor_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/match"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// TestRekeyAfterUpgrade stands for a server whose packages were indexed by
// a release that derived keys otherwise (here: zlib's keys gone, and an
// older keys version recorded): the next re-assessment derives the keys
// again and re-assesses everything, once.
func TestRekeyAfterUpgrade(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "vuln.db"), vulndb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := apply(t, db, debianAdv("CVE-2026-0001", "zlib", "1:1.2.13.dfsg-2", "low")); err != nil {
				t.Fatal(err)
			}
			st := storetest.Open(t, be.DSN(t), store.Options{})
			svc, _ := images.New(images.Config{Store: st, Advisories: func() images.Advisories { return db }})
			doc, _ := json.Marshal(storetest.Inventory(1, [3]string{"libssl3", "openssl", "3.0.11-1~deb12u2"}, [3]string{"zlib1g", "zlib", "1:1.2.13.dfsg-1"}))
			if _, err := svc.AddSBOM(ctx, images.SBOMUpload{Body: strings.NewReader(string(doc)), Wait: true}); err != nil {
				t.Fatal(err)
			}
			mon, _ := monitor.New(monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }})
			// A store indexed by this release: nothing to derive again, so
			// only the change log's package (zlib) is looked at.
			res, err := mon.Reassess(ctx)
			if err != nil || res.Packages != 1 {
				t.Fatalf("first Reassess = %+v, %v; want zlib alone, from the change log", res, err)
			}
			want := strconv.Itoa(match.KeysVersion)
			if v, _ := st.Meta(ctx, "monitor.keys_version"); v != want {
				t.Fatalf("keys version %q, want %q", v, want)
			}

			zlib := store.Key{Ecosystem: "Debian:12", Name: "zlib"}
			for _, q := range []string{`DELETE FROM package_keys WHERE name = 'zlib'`, `UPDATE meta SET value = '1' WHERE key = 'monitor.keys_version'`} {
				if err := st.ExecForTest(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if pkgs, _ := st.PackagesByKey(ctx, zlib); len(pkgs) != 0 {
				t.Fatalf("zlib still keyed: %+v", pkgs)
			}
			res, err = mon.Reassess(ctx)
			if err != nil || res.Packages != 2 {
				t.Fatalf("Reassess after the upgrade = %+v, %v; want both packages re-assessed", res, err)
			}
			if pkgs, _ := st.PackagesByKey(ctx, zlib); len(pkgs) != 1 || pkgs[0].Name != "zlib1g" {
				t.Errorf("zlib keys after the upgrade: %+v", pkgs)
			}
			if v, _ := st.Meta(ctx, "monitor.keys_version"); v != want {
				t.Errorf("keys version %q, want %q", v, want)
			}
			// The same findings as before: nothing to record.
			if len(res.Events) != 0 {
				t.Errorf("re-assessment after rekeying recorded %d events", len(res.Events))
			}
			if res, err := mon.Reassess(ctx); err != nil || res.Packages != 0 {
				t.Errorf("next Reassess = %+v, %v; want nothing to do", res, err)
			}
		})
	}
}
