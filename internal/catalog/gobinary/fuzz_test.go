package gobinary

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

func FuzzExtract(f *testing.F) {
	f.Add(oldFormatELF(buildInfoHeader))
	f.Add(oldFormatELF(0x40))
	f.Add(elfSpec{rodata: []byte("ro"), dataOff: 0x2000, dataAddr: 0x402000, data: inlineBlob("go1.22.5", "path\tx\nmod\tx\t(devel)\t\n"), biSize: 0x80}.build())
	pe := make([]byte, 8192)
	copy(pe, "MZ")
	copy(pe[4096:], inlineBlob("go1.21rc2", "path\tx\n"))
	f.Add(pe)
	for _, n := range []string{"hello", "rust-auditable", "rust-corrupt"} {
		if b, err := os.ReadFile(filepath.Join(rustFixtures, n)); err == nil {
			f.Add(b)
		}
	}
	c := New()
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := c.Extract(context.Background(), "fuzz", bytes.NewReader(data), int64(len(data)))
		if err != nil || out == nil {
			return
		}
		if len(out) > len(data)+1024 && len(out) > 1<<20 {
			t.Fatalf("summary of %d bytes for a %d-byte file", len(out), len(data))
		}
		catalogtest.CatalogExtracts(t, New(), map[string][]byte{"bin/fuzz": out})
	})
}

func FuzzDecodeInline(f *testing.F) {
	f.Add(inlineBlob("go1.22.5", "path\tx\nmod\tx\t(devel)\t\n"))
	f.Add(append(append([]byte(nil), buildInfoMagic...), 8, 2, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, data []byte) {
		vers, mod, need, err := decodeInline(data)
		if err == nil && !need && (len(vers) == 0 || len(vers) > maxVersion || len(mod) > maxModInfo) {
			t.Fatalf("decoded version %d bytes, modinfo %d bytes", len(vers), len(mod))
		}
		stdlibVersion(vers)
		goPackages(vers, mod, "/x", "go-binary")
	})
}
