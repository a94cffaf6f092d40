// Package rpm catalogs the packages recorded in an rpm database, in any of
// its three formats: SQLite (rpmdb.sqlite, rpm 4.16+), NDB (Packages.db,
// SUSE) and Berkeley DB (Packages, older Red Hat family releases).
//
// The Berkeley DB and NDB containers and the package headers are decoded
// here, with every count, offset and length checked against the data, so a
// damaged or hostile database gives an error or a warning, never a crash, a
// hang or an unbounded allocation. SQLite files are read through SQLite.
package rpm
