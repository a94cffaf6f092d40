package runtime

import (
	"context"
	"errors"
	"io"
)

const (
	// chunkSize is the unit the stream is read in.
	chunkSize = 256 << 10
	// lookAhead is how far past its start a match may extend; lookBehind
	// how far before it a finder may look (to the start of a C string).
	// A match starting near the end of one read is judged in the next,
	// which keeps these bytes.
	lookAhead  = 512
	lookBehind = 256
	// maxScan bounds what is read of one binary. The version strings
	// sought lie in read-only data, well inside it: Node.js's, the
	// deepest, is at about 40% of a 100 MiB binary.
	maxScan = 256 << 20
)

// finder looks for one product's version strings in a binary.
type finder interface {
	// find examines the matches that start in data[from:limit]. data
	// holds at least lookAhead bytes past limit unless the file ends
	// there, and up to lookBehind bytes before from. It returns true
	// when it needs to see no more.
	find(data []byte, from, limit int) bool
	// result says what was found once the scan is over.
	result() summary
}

// scan streams r, a file of the given size, through f, reading at most
// maxScan bytes, and returns f's result. It stops reading as soon as f is
// done.
func scan(ctx context.Context, r io.Reader, size int64, f finder) (summary, error) {
	r = io.LimitReader(r, min(size, maxScan))
	buf := make([]byte, 0, lookBehind+chunkSize+lookAhead)
	from := 0
	for {
		if err := ctx.Err(); err != nil {
			return summary{}, err
		}
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		eof := false
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			eof = true
		case err != nil:
			return summary{}, err
		}
		limit := len(buf)
		if !eof {
			limit -= lookAhead
		}
		if limit > from && f.find(buf, from, limit) || eof {
			return f.result(), nil
		}
		// Keep the unjudged tail and the look-behind before it.
		keep := max(limit-lookBehind, 0)
		m := copy(buf, buf[keep:])
		buf = buf[:m]
		from = limit - keep
	}
}
