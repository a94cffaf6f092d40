// Package local is replaced by a directory in the fixture's go.mod.
package local

// Name is used by the fixture so that the module is linked.
const Name = "local"
