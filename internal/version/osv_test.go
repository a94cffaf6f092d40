package version

import (
	"errors"
	"testing"
)

func TestAffected(t *testing.T) {
	intro := func(v string) Event { return Event{Introduced: v} }
	fixed := func(v string) Event { return Event{Fixed: v} }
	last := func(v string) Event { return Event{LastAffected: v} }
	limit := func(v string) Event { return Event{Limit: v} }
	eco := func(evs ...Event) Range { return Range{Type: RangeEcosystem, Events: evs} }
	tests := []struct {
		name      string
		ecosystem string
		version   string
		ranges    []Range
		versions  []string
		want      bool
	}{
		{"from zero, before fix", "PyPI", "1.0", []Range{eco(intro("0"), fixed("1.1"))}, nil, true},
		{"at the fix", "PyPI", "1.1", []Range{eco(intro("0"), fixed("1.1"))}, nil, false},
		{"fix equal after normalization", "PyPI", "1.1.0", []Range{eco(intro("0"), fixed("1.1"))}, nil, false},
		{"before introduced", "npm", "0.9.0", []Range{eco(intro("1.0.0"), fixed("2.0.0"))}, nil, false},
		{"at introduced", "npm", "1.0.0", []Range{eco(intro("1.0.0"), fixed("2.0.0"))}, nil, true},
		{"events out of order", "npm", "1.5.0", []Range{eco(fixed("2.0.0"), intro("1.0.0"))}, nil, true},
		{"two intervals, in the gap", "Go", "v1.5.0",
			[]Range{eco(intro("0"), fixed("v1.2.0"), intro("v1.8.0"), fixed("v1.9.0"))}, nil, false},
		{"two intervals, second", "Go", "v1.8.5",
			[]Range{eco(intro("v1.8.0"), fixed("v1.9.0"), intro("0"), fixed("v1.2.0"))}, nil, true},
		{"last_affected inclusive", "Maven", "2.3", []Range{eco(intro("2.0"), last("2.3"))}, nil, true},
		{"after last_affected", "Maven", "2.3.1", []Range{eco(intro("2.0"), last("2.3"))}, nil, false},
		{"never fixed", "RubyGems", "9.9", []Range{eco(intro("1.0"))}, nil, true},
		{"limit above", "npm", "1.5.0", []Range{eco(intro("1.0.0"), limit("2.0.0"))}, nil, true},
		{"limit reached", "npm", "2.0.0", []Range{eco(intro("1.0.0"), limit("2.0.0"))}, nil, false},
		{"limit star", "npm", "9.0.0", []Range{eco(intro("1.0.0"), limit("*"))}, nil, true},
		{"introduced and fixed equal", "npm", "1.0.0", []Range{eco(intro("1.0.0"), fixed("1.0.0"))}, nil, false},
		{"listed version", "PyPI", "3.0", nil, []string{"2.0", "3.0"}, true},
		{"listed version, normalized", "PyPI", "3.0.0", nil, []string{"3.0"}, true},
		{"not listed", "PyPI", "3.1", nil, []string{"2.0", "3.0"}, false},
		{"GIT ranges ignored", "npm", "1.0.0", []Range{{Type: RangeGit, Events: []Event{intro("0"), fixed("abcdef")}}}, nil, false},
		{"SEMVER range in another ecosystem", "Hackage", "1.2", []Range{{Type: RangeSemVer, Events: []Event{intro("1.0.0"), fixed("1.3.0")}}}, nil, true},
		{"Debian distro release", "Debian:12", "2.36-9+deb12u3", []Range{eco(intro("0"), fixed("2.36-9+deb12u4"))}, nil, true},
		{"Debian tilde before fix", "Debian:12", "1.0-1~bpo12+1", []Range{eco(intro("0"), fixed("1.0-1"))}, nil, true},
		{"Alpine fixed revision", "Alpine:v3.20", "1.36.1-r29", []Range{eco(intro("0"), fixed("1.36.1-r29"))}, nil, false},
		{"Red Hat EVR", "Red Hat:enterprise_linux:9", "0:1.1.1k-7.el8_6", []Range{eco(intro("0"), fixed("1:1.1.1k-8.el8_6"))}, nil, true},
		// Bitnami: a packaging revision is after its upstream release,
		// in SEMVER ranges too.
		{"Bitnami revision after the fix", "Bitnami", "17.2.0-8", []Range{{Type: RangeSemVer, Events: []Event{intro("0"), fixed("17.2.0")}}}, nil, false},
		{"Bitnami revision before the fix", "Bitnami", "17.1.0-3", []Range{{Type: RangeSemVer, Events: []Event{intro("0"), fixed("17.2.0")}}}, nil, true},
		{"Bitnami revision at introduced", "Bitnami", "2.4.58-1", []Range{eco(intro("2.4.58"), fixed("2.4.60"))}, nil, true},
		{"SEMVER elsewhere reads -8 as a pre-release", "npm", "17.2.0-8", []Range{{Type: RangeSemVer, Events: []Event{intro("0"), fixed("17.2.0")}}}, nil, true},
		{"any of several ranges", "npm", "3.0.0", []Range{eco(intro("0"), fixed("1.0.0")), eco(intro("2.0.0"))}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Affected(tt.ecosystem, tt.version, tt.ranges, tt.versions)
			if err != nil {
				t.Fatalf("Affected: %v", err)
			}
			if got != tt.want {
				t.Errorf("Affected(%q, %q) = %v, want %v", tt.ecosystem, tt.version, got, tt.want)
			}
		})
	}
}

func TestAffectedErrors(t *testing.T) {
	tests := []struct {
		name    string
		version string
		ranges  []Range
		invalid bool
	}{
		{"bad version", "", nil, true},
		{"bad event version", "1.0.0", []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "x.y"}}}}, true},
		{"two fields in one event", "1.0.0", []Range{{Type: RangeEcosystem, Events: []Event{{Introduced: "0", Fixed: "1.0.0"}}}}, false},
		{"empty event", "1.0.0", []Range{{Type: RangeEcosystem, Events: []Event{{}}}}, false},
		{"unknown range type", "1.0.0", []Range{{Type: "DATE", Events: []Event{{Introduced: "0"}}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Affected("npm", tt.version, tt.ranges, nil)
			if err == nil {
				t.Fatal("Affected succeeded, want an error")
			}
			if tt.invalid && !errors.Is(err, ErrInvalidVersion) {
				t.Errorf("error %v does not wrap ErrInvalidVersion", err)
			}
		})
	}
}
