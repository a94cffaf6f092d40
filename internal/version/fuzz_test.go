package version

import (
	"strings"
	"testing"
)

// fuzzScheme checks, for any two strings, that parsing never panics, that
// string and parsed comparisons agree, and that comparison is reflexive and
// antisymmetric.
func fuzzScheme(f *testing.F, ecosystem string, seeds ...string) {
	for _, s := range seeds {
		f.Add(s, "1.0")
	}
	f.Add(strings.Repeat("9", 1000), strings.Repeat("9", 999)+"8")
	f.Add("~~~~", "^^^^")
	f.Add("", "-")
	scheme, _ := lookup(ecosystem)
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errA := scheme.Compare(a, b)
		ba, errB := scheme.Compare(b, a)
		pa, errPA := scheme.Parse(a)
		pb, errPB := scheme.Parse(b)
		if (errA == nil) != (errPA == nil && errPB == nil) || (errB == nil) != (errA == nil) {
			t.Fatalf("Compare and Parse disagree on validity: %v, %v, %v, %v", errA, errB, errPA, errPB)
		}
		if errPA == nil {
			if c := pa.Compare(pa); c != 0 {
				t.Fatalf("Compare(%q, itself) = %d", a, c)
			}
			if pa.String() != a {
				t.Fatalf("String() = %q, want %q", pa.String(), a)
			}
		}
		if errA != nil {
			return
		}
		if ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d but reversed %d", a, b, ab, ba)
		}
		if c := pa.Compare(pb); c != ab {
			t.Fatalf("parsed Compare(%q, %q) = %d, string Compare %d", a, b, c, ab)
		}
	})
}

func FuzzDeb(f *testing.F) {
	fuzzScheme(f, "Debian", "1:2.3~rc1-4+deb12u1", "0.0.0-0", "1.0+dfsg-1ubuntu1", "2:1.0~~a")
}

func FuzzRPM(f *testing.F) {
	fuzzScheme(f, "Red Hat", "1:2.3-4.el9_2", "1.0^git1~pre", "1.0-1.module+el9.4.0+23026+aaa2e3cb", "a:1", "1-")
}

func FuzzAPK(f *testing.F) {
	fuzzScheme(f, "Alpine", "1.2.3_rc1-r0", "6.6.2p1", "1.0~abc-r1", "1-r-0", "0..1", "1.2.3_alpha_pre2")
}

func FuzzSemver(f *testing.F) {
	fuzzScheme(f, "npm", "1.2.3-beta.1+build", "v1.0.0", "1.1.3.4.5", "1.2.3-a.b.c.10")
}

func FuzzGo(f *testing.F) {
	fuzzScheme(f, "Go", "v0.0.0-20191109021931-daa7c04131f5", "v2.0.0+incompatible")
}

func FuzzPub(f *testing.F) {
	fuzzScheme(f, "Pub", "1.2.3+9a", "1.0.0-pre+build")
}

func FuzzBitnami(f *testing.F) {
	fuzzScheme(f, "Bitnami", "17.2.0-8", "1.0.0-rc1-2", "9.6p1-3", "2023.10.1-18446744073709551616")
}

func FuzzPEP440(f *testing.F) {
	fuzzScheme(f, "PyPI", "1!2.0rc1.post2.dev3+local.7", "1.0-1", "0.9.preview", "2013-01-21T20:33:09+0100", "-class.-jw.util.version.Version-", "1.0a.-1")
}

func FuzzMaven(f *testing.F) {
	fuzzScheme(f, "Maven", "1.0.0-RC16", "1.0.0.RC8-beta", "1-ga-1", "1.0-SNAPSHOT", "1.0.sp1")
}

func FuzzGem(f *testing.F) {
	fuzzScheme(f, "RubyGems", "1.0.a10", "1.0-rc1", "1beta")
}

func FuzzNuGet(f *testing.F) {
	fuzzScheme(f, "NuGet", "1.0.0.1-1.2.A+A", "1.0.01")
}

func FuzzComposer(f *testing.F) {
	fuzzScheme(f, "Packagist", "1.0RC1", "dev-foo", "1.2.3.#.p3", "v1.0pl1", "#1", ".1")
}

func FuzzCRAN(f *testing.F) {
	fuzzScheme(f, "CRAN", "0.1-2", "1.0.0.0")
}

func FuzzHackage(f *testing.F) {
	fuzzScheme(f, "Hackage", "0.1.26.0", "1")
}

func FuzzFallback(f *testing.F) {
	fuzzScheme(f, "generic", "v1.0-rc1", "1.0.BETA")
}

// FuzzConstraint checks that no constraint text or candidate makes the
// constraint parsers or Check panic.
func FuzzConstraint(f *testing.F) {
	ecosystems := []string{"npm", "crates.io", "Hex", "Go", "Pub", "PyPI", "Maven", "NuGet", "RubyGems", "Packagist", "Debian"}
	seeds := []string{"^1.2.3 || >=2 <2.3", "~=1.4.2, !=1.4.5", "[1.0,2.0),[3.0,)", "~> 2.2", "1.0 - 2.0", "==1.2.*", ">= 1.0 and < 2.0 or == 3.0", "1.x", "(,1.0]"}
	for i, s := range seeds {
		f.Add(uint8(i), s, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, eco uint8, constraint, v string) {
		c, err := ParseConstraint(ecosystems[int(eco)%len(ecosystems)], constraint)
		if err != nil {
			return
		}
		_, _ = c.Check(v)
	})
}

// FuzzAffected checks that OSV range evaluation never panics.
func FuzzAffected(f *testing.F) {
	f.Add("npm", "1.2.3", "0", "1.5.0", "2.0.0", "")
	f.Add("PyPI", "1.0", "1.0", "", "", "2.0")
	f.Fuzz(func(t *testing.T, eco, v, introduced, fixed, lastAffected, limit string) {
		ranges := []Range{{Type: RangeEcosystem, Events: []Event{
			{Introduced: introduced}, {Fixed: fixed}, {LastAffected: lastAffected}, {Limit: limit},
		}}}
		_, _ = Affected(eco, v, ranges, []string{fixed})
	})
}
