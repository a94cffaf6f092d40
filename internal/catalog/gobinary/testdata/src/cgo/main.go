// Command cgo is a fixture for Vigil's go-binary cataloger: linked by the
// system linker (cgo, -linkmode=external), so its ELF section headers come
// after the data, unlike those of the Go linker.
package main

/*
static int answer(void) { return 42; }
*/
import "C"

import "os"

func main() {
	if C.answer() != 42 {
		os.Exit(1)
	}
}
