package license

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means ok=false
	}{
		// SPDX identifiers, any case.
		{"MIT", "MIT"},
		{"mit", "MIT"},
		{"Apache-2.0", "Apache-2.0"},
		{"apache-2.0", "Apache-2.0"},
		{"BSD-3-Clause", "BSD-3-Clause"},
		{"0bsd", "0BSD"},
		{"GPL-2.0-only", "GPL-2.0-only"},
		{"gpl-3.0-or-later", "GPL-3.0-or-later"},
		{"  ISC\t", "ISC"},
		{"BlueOak-1.0.0", "BlueOak-1.0.0"},
		{"LGPLLR", "LGPLLR"},
		// Deprecated SPDX identifiers.
		{"GPL-2.0", "GPL-2.0-only"},
		{"GPL-2.0+", "GPL-2.0-or-later"},
		{"GPL-3.0", "GPL-3.0-only"},
		{"GPL-3.0+", "GPL-3.0-or-later"},
		{"LGPL-2.1", "LGPL-2.1-only"},
		{"LGPL-2.1+", "LGPL-2.1-or-later"},
		{"LGPL-2.0+", "LGPL-2.0-or-later"},
		{"LGPL-3.0", "LGPL-3.0-only"},
		{"AGPL-3.0", "AGPL-3.0-only"},
		{"AGPL-1.0", "AGPL-1.0-only"},
		{"GFDL-1.3", "GFDL-1.3-only"},
		{"GFDL-1.2+", "GFDL-1.2-or-later"},
		{"Nunit", "Nunit"},             // deprecated without one-to-one replacement: kept
		{"wxWindows", "wxWindows"},     // likewise
		{"bzip2-1.0.5", "bzip2-1.0.5"}, // likewise
		// Debian copyright-format short names.
		{"GPL-2", "GPL-2.0-only"},
		{"GPL-2+", "GPL-2.0-or-later"},
		{"GPL-3+", "GPL-3.0-or-later"},
		{"GPL-1+", "GPL-1.0-or-later"},
		{"GPL-2.0.0", "GPL-2.0-only"}, // trailing dot-zeroes are equivalent
		{"LGPL-2", "LGPL-2.0-only"},
		{"LGPL-2+", "LGPL-2.0-or-later"},
		{"LGPL-2.1+", "LGPL-2.1-or-later"},
		{"LGPL-3+", "LGPL-3.0-or-later"},
		{"AGPL-3+", "AGPL-3.0-or-later"},
		{"GFDL-1.2+", "GFDL-1.2-or-later"},
		{"GFDL-NIV-1.3", "GFDL-1.3-no-invariants-only"},
		{"GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"},
		{"GFDL-1.3+-no-invariant", "GFDL-1.3-no-invariants-or-later"},
		{"Apache-2", "Apache-2.0"},
		{"Expat", "MIT"},
		{"BSD-3-clause", "BSD-3-Clause"},
		{"BSD-2-clause", "BSD-2-Clause"},
		{"BSD-4-clause-UC", "BSD-4-Clause-UC"},
		{"Artistic", "Artistic-1.0"},
		{"Artistic-1", "Artistic-1.0"},
		{"Artistic-2", "Artistic-2.0"},
		{"MPL-2.0", "MPL-2.0"},
		{"MPL-1.1+", "MPL-1.1+"},
		{"Zlib", "Zlib"},
		{"zlib", "Zlib"},
		{"ISC", "ISC"},
		{"PSF-2", "PSF-2.0"},
		{"OpenSSL", "OpenSSL"},
		{"curl", "curl"},
		{"X11", "X11"},
		{"CC0", "CC0-1.0"},
		{"CC0-1.0", "CC0-1.0"},
		{"CC-BY-SA-4", "CC-BY-SA-4.0"},
		{"BSL-1", "BSL-1.0"},
		{"Boost", "BSL-1.0"},
		{"Python", "Python-2.0"},
		{"Perl", "GPL-1.0-or-later OR Artistic-1.0"},
		{"EDL-1.0", "BSD-3-Clause"},
		{"public-domain", ""},
		{"GPL", ""},
		{"LGPL", ""},
		{"BSD", ""},
		{"Apache", ""},
		{"MIT/X11", ""},
		{"MIT-like", ""},
		{"permissive", ""},
		{"GPL-4+", ""},
		{"LGPL-1", ""},
		{"GFDL-2", ""},
		// Fedora legacy names.
		{"GPLv2", "GPL-2.0-only"},
		{"GPLv2+", "GPL-2.0-or-later"},
		{"GPLv3+", "GPL-3.0-or-later"},
		{"GPL+", "GPL-1.0-or-later"},
		{"LGPLv2.1", "LGPL-2.1-only"},
		{"LGPLv2.1+", "LGPL-2.1-or-later"},
		{"LGPLv3+", "LGPL-3.0-or-later"},
		{"LGPLv2", ""},  // Fedora uses it for 2.0 and 2.1
		{"LGPLv2+", ""}, // likewise
		{"AGPLv3", "AGPL-3.0-only"},
		{"ASL 2.0", "Apache-2.0"},
		{"ASL 1.1", "Apache-1.1"},
		{"MPLv1.1", "MPL-1.1"},
		{"GPLv2 or later", "GPL-2.0-or-later"},
		{"GPL+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0"},
		{"GPLv2+ and LGPLv2+", ""},
		{"GPLv2 with exceptions", ""},
		{"BSD with advertising", ""},
		{"Public Domain", ""},
		// npm, PyPI, Maven and NuGet spellings.
		{"MIT License", "MIT"},
		{"The MIT License", "MIT"},
		{"The MIT License (MIT)", "MIT"},
		{"Apache 2.0", "Apache-2.0"},
		{"Apache License 2.0", "Apache-2.0"},
		{"Apache License, Version 2.0", "Apache-2.0"},
		{"The Apache Software License, Version 2.0", "Apache-2.0"},
		{"Apache  License,\tVersion 2.0", "Apache-2.0"},
		{"Apache Software License", "Apache-2.0"},
		{"Apache License", ""},
		{"BSD License", ""},
		{"New BSD License", "BSD-3-Clause"},
		{"Simplified BSD License", "BSD-2-Clause"},
		{"ISC License (ISCL)", "ISC"},
		{"GNU General Public License v2 (GPLv2)", "GPL-2.0-only"},
		{"GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later"},
		{"GNU Lesser General Public License v3 or later (LGPLv3+)", "LGPL-3.0-or-later"},
		{"GNU Library or Lesser General Public License (LGPL)", ""},
		{"GNU GPL v3", "GPL-3.0-only"},
		{"GNU LGPL v2.1", "LGPL-2.1-only"},
		{"GPL v2", "GPL-2.0-only"},
		{"Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"},
		{"Python Software Foundation License", "PSF-2.0"},
		{"Eclipse Public License - v 1.0", "EPL-1.0"},
		{"The Unlicense", "Unlicense"},
		{"Unlicense", "Unlicense"},
		{"UNLICENSED", ""}, // npm's "not licensed", not the Unlicense
		{"CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"},
		{"Microsoft Public License (MS-PL)", "MS-PL"},
		{"SEE LICENSE IN LICENSE.txt", ""},
		{"Proprietary", ""},
		// SPDX expressions.
		{"MIT OR Apache-2.0", "MIT OR Apache-2.0"},
		{"(MIT OR Apache-2.0)", "MIT OR Apache-2.0"},
		{"mit or apache-2.0", "MIT OR Apache-2.0"},
		{"MIT AND (BSD-3-Clause OR GPL-2.0+)", "MIT AND (BSD-3-Clause OR GPL-2.0-or-later)"},
		{"(MIT AND BSD-3-Clause) OR GPL-2.0", "MIT AND BSD-3-Clause OR GPL-2.0-only"},
		{"((MIT))", "MIT"},
		{"MIT AND (ISC AND Zlib)", "MIT AND ISC AND Zlib"},
		{"Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"},
		{"GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0"},
		{"GPL-2.0+ WITH classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0"},
		{"(GPL-2.0-only WITH Linux-syscall-note) OR MIT", "GPL-2.0-only WITH Linux-syscall-note OR MIT"},
		{"LicenseRef-Acme-Proprietary", "LicenseRef-Acme-Proprietary"},
		{"licenseref-acme", "LicenseRef-acme"},
		{"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"},
		{"MIT OR LicenseRef-x", "MIT OR LicenseRef-x"},
		{"LicenseRef-x+", ""},
		{"LicenseRef-x WITH font-exception-2.0", "LicenseRef-x WITH Font-exception-2.0"},
		{"LicenseRef-a_b", ""},
		{"MIT WITH LLVM-exception WITH Font-exception-2.0", ""},
		{"MIT WITH Foo-exception", ""},
		{"(MIT", ""},
		{"MIT)", ""},
		{"MIT OR", ""},
		{"OR MIT", ""},
		{"MIT AND AND ISC", ""},
		{"()", ""},
		{"MIT OR NOASSERTION", ""},
		// Debian compound synopses.
		{"GPL-1+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0"},
		{"GPL-2+ and BSD-3-clause", "GPL-2.0-or-later AND BSD-3-Clause"},
		{"MPL-1.1 or GPL-2 or LGPL-2.1", "MPL-1.1 OR GPL-2.0-only OR LGPL-2.1-only"},
		{"A or B and C", ""},
		{"Expat or GPL-2 and ISC", "MIT OR GPL-2.0-only AND ISC"},
		{"Expat or GPL-2, and ISC", "(MIT OR GPL-2.0-only) AND ISC"},
		{"GPL-2+ or Artistic-2.0, and BSD-3-clause", "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause"},
		{"GPL-1+ or Artistic, and Expat", "(GPL-1.0-or-later OR Artistic-1.0) AND MIT"},
		{"ISC, and Expat or Zlib", "ISC AND (MIT OR Zlib)"},
		{"ISC and Expat, or Zlib", "ISC AND MIT OR Zlib"},
		{"GPL-2+, LGPL-2.1+", "GPL-2.0-or-later AND LGPL-2.1-or-later"},
		{"Perl and ISC", "(GPL-1.0-or-later OR Artistic-1.0) AND ISC"},
		{"GPL-2+ with Font exception", "GPL-2.0-or-later WITH Font-exception-2.0"},
		{"GPL-3+ with GCC exception", "GPL-3.0-or-later WITH GCC-exception-3.1"},
		{"GPL-2+ with GCC exception", "GPL-2.0-or-later WITH GCC-exception-2.0"},
		{"GPL-3+ with Autoconf exception", "GPL-3.0-or-later WITH Autoconf-exception-3.0"},
		{"GPL-3+ with Bison exception", "GPL-3.0-or-later WITH Bison-exception-2.2"},
		{"GPL-2+ with Bison exception", ""}, // 1.24 or 2.2
		{"GPL-2+ with Libtool exception", "GPL-2.0-or-later WITH Libtool-exception"},
		{"GPL-2 with Linux-syscall-note exception", "GPL-2.0-only WITH Linux-syscall-note"},
		{"GPL-2+ with Classpath exception", "GPL-2.0-or-later WITH Classpath-exception-2.0"},
		{"Apache-2.0 with LLVM exception", "Apache-2.0 WITH LLVM-exception"},
		{"GPL-3+-WITH-BISON-EXCEPTION", "GPL-3.0-or-later WITH Bison-exception-2.2"},
		{"GPL-3+ with OpenSSL exception", ""}, // SPDX lists no generic OpenSSL exception
		{"GPL-2+ with Autoconf-data exception", ""},
		{"Perl with Font exception", ""}, // WITH needs a single licence
		{"GPL-2+ with exception", ""},
		{"MIT License or Apache 2.0", "MIT OR Apache-2.0"},
		{"REGCOMP, and GPL-1+ or Artistic", ""},
		// Garbage.
		{"", ""},
		{"   ", ""},
		{",", ""},
		{"+", ""},
		{"GPL-2++", ""},
		{"with", ""},
		{"\xff\xfe", ""},
		{strings.Repeat("(", 40) + "MIT" + strings.Repeat(")", 40), ""},
		{strings.Repeat("MIT OR ", 1000) + "MIT", ""},
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
		}
	}
}

// TestNormalizeIdempotent checks that every output is itself accepted
// unchanged, for all SPDX identifiers and aliases.
func TestNormalizeIdempotent(t *testing.T) {
	var inputs []string
	for _, id := range licenseIDs {
		inputs = append(inputs, id)
	}
	for k, v := range aliases {
		inputs = append(inputs, k)
		if v != "" {
			inputs = append(inputs, v)
		}
	}
	for _, in := range inputs {
		out, ok := Normalize(in)
		if !ok {
			if _, isID := licenseIDs[strings.ToLower(in)]; isID {
				t.Errorf("Normalize(%q) failed for an SPDX identifier", in)
			}
			continue
		}
		again, ok := Normalize(out)
		if !ok || again != out {
			t.Errorf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", in, out, out, again, ok)
		}
	}
}

// TestAliasesValid checks that every alias target is made of listed
// identifiers, so a typo in the table cannot produce an invalid expression.
func TestAliasesValid(t *testing.T) {
	for k, v := range aliases {
		if v == "" {
			continue
		}
		for _, w := range strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(v)) {
			if w == "AND" || w == "OR" || w == "WITH" {
				continue
			}
			_, lic := licenseIDs[strings.ToLower(w)]
			_, exc := exceptionIDs[strings.ToLower(w)]
			if (!lic && !exc) || (lic && licenseIDs[strings.ToLower(w)] != w) {
				t.Errorf("alias %q → %q: %q is not a canonical SPDX identifier", k, v, w)
			}
		}
		if k != strings.ToLower(k) || k != strings.Join(strings.Fields(k), " ") {
			t.Errorf("alias key %q is not lower case with single spaces", k)
		}
	}
}

func TestNormalizeAllocs(t *testing.T) {
	for _, in := range []string{"MIT", "gpl-2.0-only", "Expat", "BSD-3-clause"} {
		if n := testing.AllocsPerRun(100, func() { Normalize(in) }); n != 0 {
			t.Errorf("Normalize(%q): %v allocations, want 0", in, n)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, in := range []string{
		"MIT",
		"apache-2.0",
		"Expat",
		"GPL-2+",
		"Apache License, Version 2.0",
		"GPL-1+ or Artistic, and Expat",
		"MIT AND (BSD-3-Clause OR GPL-2.0-or-later WITH Classpath-exception-2.0)",
	} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Normalize(in)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"MIT", "GPL-2+", "GPL-1+ or Artistic, and Expat", "(MIT OR Apache-2.0) AND ISC",
		"GPL-2+ with Font exception", "Apache License, Version 2.0", "LicenseRef-x",
		"GPL-3+-WITH-BISON-EXCEPTION", "GFDL-1.3+-no-invariant", "MPL-1.1+", "A, and B or C",
		"GNU GPL v3", "DocumentRef-a:LicenseRef-b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := Normalize(s)
		if !ok {
			if out != "" {
				t.Fatalf("Normalize(%q) = %q with ok=false", s, out)
			}
			return
		}
		if out == "" || strings.TrimSpace(out) != out {
			t.Fatalf("Normalize(%q) = %q", s, out)
		}
		// The output is canonical: normalising it again changes nothing.
		again, ok := Normalize(out)
		if !ok || again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", s, out, out, again, ok)
		}
	})
}
