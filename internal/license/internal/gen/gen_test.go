package main

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGeneratedUpToDate keeps spdx_ids.go honest: it must be exactly what
// the generator makes from the committed lists.
func TestGeneratedUpToDate(t *testing.T) {
	want, err := Generate("data")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../spdx_ids.go")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("spdx_ids.go is stale; run go generate in internal/license (-want +got):\n%s", diff)
	}
}
