package vulndb

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigilproject/vigil/internal/advisory"
)

// TestRegroupRandom applies random batches of advisories with random
// aliases from a small pool, so that groups form, merge and split, across
// two sources and in full and delta batches, and checks the stored groups
// against a from-scratch computation after each.
func TestRegroupRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	db, _ := openTest(t, Options{})
	record := func(src string, i int) advisory.Advisory {
		a := advisory.Advisory{
			ID:       fmt.Sprintf("%s-%03d", src, i),
			Summary:  fmt.Sprint(rng.IntN(3)),
			Affected: []advisory.Affected{{Ecosystem: "npm", Package: fmt.Sprintf("p%d", rng.IntN(20))}},
		}
		for range rng.IntN(3) {
			a.Aliases = append(a.Aliases, fmt.Sprintf("CVE-2000-%04d", rng.IntN(400)))
		}
		if rng.IntN(10) == 0 {
			// Sometimes name another source's record directly.
			a.Aliases = append(a.Aliases, fmt.Sprintf("B-%03d", rng.IntN(100)))
		}
		return a
	}
	for round := range 30 {
		for _, src := range []string{"A", "B"} {
			var batch []advisory.Advisory
			full := rng.IntN(2) == 0
			for i := range 100 {
				// A full batch drops about a tenth; a delta touches a third.
				if (full && rng.IntN(10) > 0) || (!full && rng.IntN(3) == 0) {
					batch = append(batch, record(src, i))
				}
			}
			apply(t, db, src, full, advs(batch...))
		}
		checkGroups(t, db)
		var multi, largest int
		db.ro.QueryRow(`SELECT COUNT(*), COALESCE(MAX(json_array_length(members)), 0) FROM groups`).Scan(&multi, &largest)
		if round%10 == 0 {
			t.Logf("round %d: %d groups of several advisories, the largest of %d", round, multi, largest)
		}
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
	// The groups are also what Vulnerability reads.
	v, err := db.Vulnerability(t.Context(), "A-000")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("A-000 is in a group of %d ids", len(v.IDs))
}
