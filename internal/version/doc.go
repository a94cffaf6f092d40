// Package version is Vigil's single source of truth for ordering versions:
// one exact scheme per ecosystem family, OSV range evaluation, and the
// native constraint syntaxes of the ecosystems.
//
// Entry points: For returns an ecosystem's Scheme; Compare and Parse use it
// in one call; Affected evaluates OSV affected[] ranges and versions;
// ParseConstraint reads an ecosystem's own requirement syntax. Ecosystem
// names are those of the OSV schema, optionally with a release suffix
// ("Debian:12"), or Vigil's sbom names ("deb", "pypi" …), in any case.
//
// # Schemes
//
// Each scheme lives in its own file and follows its ecosystem's reference
// implementation, checked against the osv-scalibr corpora in both
// directions (testdata/README.md), and against dpkg and rpm where installed.
// Numbers are always compared as digit strings, so no version overflows.
//
//   - deb (Debian, Ubuntu): dpkg. [epoch:]upstream[-revision]; '~' sorts
//     before everything, even the end; letters before other characters;
//     digit runs numerically. Errors as dpkg's: empty or non-numeric epoch,
//     embedded blanks, empty upstream or revision.
//   - rpm (Red Hat, Rocky Linux, AlmaLinux, SUSE, openSUSE, Photon OS,
//     Mageia, openEuler, Azure Linux): rpmvercmp on epoch, version and
//     release, including '~' (before everything) and '^' (after the end,
//     before anything else); "el9_2" and module releases are plain segments.
//     A missing release sorts before any release, as rpm.vercmp does.
//   - apk (Alpine, Wolfi, Chainguard, MinimOS): apk-tools' token order:
//     numbers, a letter, _alpha < _beta < _pre < _rc < (none) < _cvs < _svn
//     < _git < _hg < _p, ~hash, -rN; components with a leading zero compare
//     as strings. Like apk-tools 2, digits may follow a letter ("5.7.1p1").
//     Strings apk rejects still get a total order (see apk.go).
//   - semver (npm, crates.io, Hex), go (Go), pub (Pub): SemVer 2.0
//     precedence; leading "v" ignored; any number of numeric components;
//     build metadata ignored (Go's "+incompatible" included) except for
//     Pub, where it sorts after the pre-release as pub_semver does. Go
//     pseudo-versions are pre-releases and sort by timestamp.
//   - pep440 (PyPI): pypa/packaging. PEP 440 with normalization (alpha = a,
//     c = pre = preview = rc, rev = r = post, "1.0-1" = "1.0.post1", case,
//     separators, trailing zeros), epochs, dev < pre < release < post, local
//     labels; strings PEP 440 rejects are packaging's LegacyVersion, sorting
//     before all PEP 440 versions.
//   - maven (Maven): the POM reference's Version Order Specification, which
//     the OSV schema names: qualifiers alpha < beta < milestone < rc = cr <
//     snapshot < "" = ga = final = release < sp < others; trailing nulls
//     trimmed; .qualifier < -qualifier < -number < .number. Known gap: the
//     specification pads the shorter version after the longer one's
//     separators, so a few unusual mixes ("1.0.0.RC8-beta" against "1" and
//     "1-1") are not transitive; ComparableVersion differs on those.
//   - gem (RubyGems): Gem::Version. '-' is ".pre."; any letter makes a
//     pre-release; trailing zeros ignored.
//   - nuget (NuGet): SemVer 2.0 with four numeric components, leading zeros
//     ignored, case-insensitive labels, metadata ignored.
//   - composer (Packagist): PHP's version_compare after stripping a leading
//     "v": dev < alpha = a < beta = b < RC = rc < number < pl = p, any other
//     word first; "1.0" < "1.0.0".
//   - cran (CRAN, Bioconductor): R's package_version: integers separated by
//     '.' or '-', compared as lists.
//   - hackage (Hackage, GHC): Data.Version: integers separated by dots,
//     compared as lists ("1.0" < "1.0.0").
//   - bitnami (Bitnami): the upstream version (SemVer, else the fallback
//     order) then Bitnami's packaging revision, a final "-N" of digits
//     ("17.2.0-8" > "17.2.0" = "17.2.0-0"); SEMVER ranges of Bitnami
//     advisories are read the same way.
//
// # Fallback
//
// Unknown ecosystems use the fallback scheme (For also returns an error
// wrapping ErrUnknownEcosystem so callers can tell). It ignores a leading
// "v", reads runs of digits and runs of letters (everything else only
// separates them), compares numbers numerically, words case-insensitively,
// and puts numbers after words. A missing run counts as the number 0, so
// "1" = "1.0", "1.0-rc1" < "1.0" < "1.0.1". Every non-blank string is a
// fallback version.
//
// # Performance
//
// Compare on Parse'd versions allocates nothing (asserted by a test for deb,
// rpm, apk, semver, pep440 and maven), and Debian, RPM and Alpine string
// comparisons walk the strings in place. PERFORMANCE.md has the figures.
package version
