package rpm

import (
	"context"
	"errors"
	"fmt"
)

// errEmpty is returned for a zero-length database, which rpm never writes.
var errEmpty = errors.New("empty database")

// readDB returns the package headers of the rpm database in data, telling
// the format by content as rpm's name for it is not reliable across
// releases. A damaged container (a truncated file, a broken page chain) is
// an error; a header that cannot be decoded is passed to warn with its
// position, and skipped.
func readDB(ctx context.Context, data []byte, warn func(string)) ([]*header, error) {
	if len(data) == 0 {
		return nil, errEmpty
	}
	var headers []*header
	n := 0
	visit := func(blob []byte) error {
		n++
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		h, err := parseHeader(blob)
		if err != nil {
			warn(fmt.Sprintf("package header %d: %v; skipped", n, err))
			return nil
		}
		headers = append(headers, h)
		return nil
	}
	var err error
	switch {
	case isSQLite(data):
		err = readSQLite(ctx, data, visit)
	case isNDB(data):
		err = readNDB(data, visit)
	default:
		err = readBDB(data, visit)
	}
	if err != nil {
		return nil, err
	}
	return headers, nil
}
