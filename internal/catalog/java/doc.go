// Package java catalogs Java archives (.jar, .war, .ear, Jenkins .hpi/.jpi
// plugins, and the .par/.sar/.nar/.kar zips built the same way) as Maven
// packages, including the archives nested in them (Spring Boot's
// BOOT-INF/lib, a war's WEB-INF/lib) and the artifacts shaded into them.
//
// Archives are streamed through Extract once while the layer is read: the
// file is spooled to memory or a temporary file, since a zip's directory
// is at its end, and only the central directory and the entries that name
// artifacts are decompressed, within bounds on nesting depth, decompressed
// bytes, entries and compression ratio, so that a zip bomb or a corrupt
// archive costs a warning. Catalog turns the kept summaries into packages.
//
// Coordinates, most trusted first: a pom.properties (one package each; the
// one named like the archive is the archive's own, the others were shaded
// into it); a Jenkins plugin's Short-Name, Plugin-Version and Group-Id; a
// Maven-style file name "artifactId-version.jar"; the manifest's
// Implementation-Title/Bundle-Name and Implementation-Version/
// Bundle-Version. Without a pom.properties the groupId is inferred from
// the Bundle-SymbolicName or Implementation-Vendor-Id where that is
// unambiguous; otherwise it stays empty, the package is named by its
// artifactId alone and its PURL has no namespace (pkg:maven/name@version),
// which no advisory will match by mistake.
package java
