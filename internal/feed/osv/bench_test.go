package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

// benchArchives are the shared Go, PyPI and crates.io archives (8,667
// records, 7.5 MB zipped).
func benchArchives(b *testing.B) [][]byte {
	dir := feedtest.SharedDir(b)
	var out [][]byte
	for _, eco := range []string{"Go", "PyPI", "crates.io"} {
		data, err := os.ReadFile(filepath.Join(dir, "osv", eco, "all.zip"))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkImport compares, side by side, Parse of the archives (the full
// import path: unzip, decode, convert, score CVSS) with merely unzipping
// and decoding every record into map[string]any; and, without the unzip,
// ParseRecord with json.Unmarshal into a map on the same bytes.
//
//	go test -run '^$' -bench Import -benchmem ./internal/feed/osv
func BenchmarkImport(b *testing.B) {
	archives := benchArchives(b)
	u := testUpdater(&testing.T{}, Options{})
	var raw [][]byte
	for _, data := range archives {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range zr.File {
			rc, _ := f.Open()
			rec, _ := io.ReadAll(rc)
			rc.Close()
			raw = append(raw, rec)
		}
	}
	records := float64(len(raw))

	b.Run("archive/parse", func(b *testing.B) {
		for b.Loop() {
			for _, data := range archives {
				batch, err := u.Parse(context.Background(), bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				for _, err := range batch.Advisories {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		b.ReportMetric(records*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("archive/decode-map", func(b *testing.B) {
		for b.Loop() {
			for _, data := range archives {
				zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range zr.File {
					rc, err := f.Open()
					if err != nil {
						b.Fatal(err)
					}
					rec, err := io.ReadAll(rc)
					rc.Close()
					if err != nil {
						b.Fatal(err)
					}
					var m map[string]any
					if err := json.Unmarshal(rec, &m); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		b.ReportMetric(records*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("records/parse", func(b *testing.B) {
		for b.Loop() {
			for _, rec := range raw {
				if _, err := ParseRecord(rec); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(records*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("records/decode-map", func(b *testing.B) {
		for b.Loop() {
			for _, rec := range raw {
				var m map[string]any
				if err := json.Unmarshal(rec, &m); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(records*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkImportRatio measures the same pairs as BenchmarkImport,
// interleaved archive by archive, so that a busy machine slows both sides
// alike; it reports each side's records/s and their ratio. "archive" is
// the criterion (the full import against unzip + decode into
// map[string]any, at least 0.5); "records" compares ParseRecord with
// json.Unmarshal into a map on the same decompressed bytes.
//
//	go test -run '^$' -bench ImportRatio -benchtime 5x ./internal/feed/osv
func BenchmarkImportRatio(b *testing.B) {
	archives := benchArchives(b)
	u := testUpdater(&testing.T{}, Options{})
	unzip := func(data []byte) [][]byte {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		var out [][]byte
		for _, f := range zr.File {
			rc, _ := f.Open()
			rec, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, rec)
		}
		return out
	}
	decode := func(recs [][]byte) {
		for _, rec := range recs {
			var m map[string]any
			if err := json.Unmarshal(rec, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
	importArchive := func(data []byte) int {
		batch, err := u.Parse(context.Background(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, err := range batch.Advisories {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		return n
	}
	var unzipped [][][]byte
	for _, data := range archives {
		unzipped = append(unzipped, unzip(data))
	}
	pairs := map[string]struct {
		ours, baseline func(i int) int
	}{
		"archive": {
			ours:     func(i int) int { return importArchive(archives[i]) },
			baseline: func(i int) int { recs := unzip(archives[i]); decode(recs); return len(recs) },
		},
		"records": {
			ours: func(i int) int {
				for _, rec := range unzipped[i] {
					if _, err := ParseRecord(rec); err != nil {
						b.Fatal(err)
					}
				}
				return len(unzipped[i])
			},
			baseline: func(i int) int { decode(unzipped[i]); return len(unzipped[i]) },
		},
	}
	for _, name := range []string{"archive", "records"} {
		p := pairs[name]
		b.Run(name, func(b *testing.B) {
			var oursTime, baseTime time.Duration
			records, turn := 0, 0
			for b.Loop() {
				for i := range archives {
					// Alternate which side goes first.
					order := []bool{true, false}
					if turn++; turn%2 == 0 {
						order = []bool{false, true}
					}
					for _, ours := range order {
						start := time.Now()
						if ours {
							records += p.ours(i)
							oursTime += time.Since(start)
						} else {
							p.baseline(i)
							baseTime += time.Since(start)
						}
					}
				}
			}
			b.ReportMetric(float64(records)/oursTime.Seconds(), "vigil-records/s")
			b.ReportMetric(float64(records)/baseTime.Seconds(), "map-records/s")
			b.ReportMetric(baseTime.Seconds()/oursTime.Seconds(), "vigil/map")
		})
	}
}
