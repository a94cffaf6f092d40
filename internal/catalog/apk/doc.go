// Package apk catalogs the packages recorded in apk's installed database,
// lib/apk/db/installed, as found in Alpine, Wolfi and Chainguard images.
package apk
