package store

import (
	"slices"
	"testing"
)

// FuzzDecodePostings: a pending list read back from the database is
// decoded or refused with an error, never a panic; what decodes encodes
// back to the same bytes.
func FuzzDecodePostings(f *testing.F) {
	f.Add(encodePostings(nil))
	f.Add(encodePostings([]Posting{{PackageID: 1, LayerIndex: 0}, {PackageID: -5, LayerIndex: 300, InBase: true}}))
	f.Add([]byte{1, 2, 3})
	f.Add(append(encodePostings([]Posting{{PackageID: 7}}), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))
	f.Fuzz(func(t *testing.T, b []byte) {
		posts, err := decodePostings(b, 42)
		if err != nil {
			return
		}
		for _, p := range posts {
			if p.ImageID != 42 || p.LayerIndex < 0 {
				t.Fatalf("decoded %+v", p)
			}
		}
		// Uvarints have more than one spelling; the canonical one is
		// what decodes again to the same postings.
		again, err := decodePostings(encodePostings(posts), 42)
		if err != nil || !slices.Equal(again, posts) {
			t.Fatalf("round trip: %v, %v != %v", err, again, posts)
		}
	})
}

func TestDecodePostings(t *testing.T) {
	want := []Posting{{PackageID: 1, ImageID: 9}, {PackageID: -5, ImageID: 9, LayerIndex: 300, InBase: true}}
	got, err := decodePostings(encodePostings(want), 9)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("round trip = %v, %v; want %v", got, err, want)
	}
	for _, bad := range [][]byte{
		{1, 2, 3},                            // short
		append(encodePostings(want), 0),      // a byte left over
		{1, 0, 0, 0, 0, 0, 0, 0, 0, 2},       // bad base flag
		{1, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80}, // unterminated layer
	} {
		if _, err := decodePostings(bad, 9); err == nil {
			t.Errorf("decodePostings(%x) succeeded", bad)
		}
	}
}
