package osv

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// deltaFormat names the delta encoding in its header line.
const deltaFormat = "vigil-osv-delta/1"

// deltaHeader is the first line of a delta: what follows is Records lines,
// one compact OSV record each; Skipped lists the changed records that could
// not be fetched, so Parse reports them.
type deltaHeader struct {
	Format    string        `json:"format"`
	Ecosystem string        `json:"ecosystem"`
	Records   int           `json:"records"`
	Skipped   []skippedItem `json:"skipped,omitempty"`
}

type skippedItem struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Parse reads what Fetch wrote: an OSV all.zip (a Full batch) or a delta
// (a JSON header line, then one record per line; not Full). It tells them
// apart by the first bytes. Bad records are yielded as errors naming the
// source and the entry; a damaged archive or a cut delta yields an error
// wrapping feed.ErrBroken and ends the batch.
func (u *Updater) Parse(ctx context.Context, src io.Reader) (feed.Batch, error) {
	return parse(ctx, u.Name(), src, u.opts)
}

func parse(ctx context.Context, name string, src io.Reader, opts Options) (feed.Batch, error) {
	// A file or an in-memory reader is read in place; a stream is buffered.
	ra, size, seekable := randomAccess(src)
	var br *bufio.Reader
	var head []byte
	if seekable {
		head = make([]byte, 4)
		n, err := ra.ReadAt(head, 0)
		if n == 0 && err != nil {
			if err == io.EOF {
				return feed.Batch{}, fmt.Errorf("%s: empty input", name)
			}
			return feed.Batch{}, fmt.Errorf("%s: %w", name, err)
		}
		head = head[:n]
		br = bufio.NewReaderSize(io.NewSectionReader(ra, 0, size), 64<<10)
	} else {
		br = bufio.NewReaderSize(src, 64<<10)
		var err error
		if head, err = br.Peek(4); len(head) == 0 {
			if err == io.EOF {
				return feed.Batch{}, fmt.Errorf("%s: empty input", name)
			}
			return feed.Batch{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK")):
		if !seekable {
			data, err := io.ReadAll(io.LimitReader(br, opts.MaxArchiveBytes+1))
			if err != nil {
				return feed.Batch{}, fmt.Errorf("%s: all.zip: %w", name, err)
			}
			if int64(len(data)) > opts.MaxArchiveBytes {
				return feed.Batch{}, fmt.Errorf("%s: all.zip larger than %d bytes", name, opts.MaxArchiveBytes)
			}
			ra, size = bytes.NewReader(data), int64(len(data))
		}
		zr, err := zip.NewReader(ra, size)
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			return feed.Batch{}, fmt.Errorf("%s: all.zip is corrupt: %w", name, err)
		}
		return feed.Batch{Source: name, Full: true, Advisories: zipRecords(ctx, name, zr, opts)}, nil
	case bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("{")):
		line, err := readLine(br, opts.MaxRecordBytes)
		if err != nil {
			return feed.Batch{}, fmt.Errorf("%s: delta header: %w", name, err)
		}
		var h deltaHeader
		if err := json.Unmarshal(line, &h); err != nil || h.Format != deltaFormat {
			return feed.Batch{}, fmt.Errorf("%s: not an OSV all.zip nor a %s stream", name, deltaFormat)
		}
		if h.Records < 0 {
			return feed.Batch{}, fmt.Errorf("%s: delta header: negative record count", name)
		}
		return feed.Batch{Source: name, Full: false, Advisories: deltaRecords(ctx, name, br, h, opts)}, nil
	}
	return feed.Batch{}, fmt.Errorf("%s: not an OSV all.zip nor a %s stream", name, deltaFormat)
}

// randomAccess gives random access to a file (from its current offset, where
// the runner leaves the fetched file at its start) or an in-memory reader.
func randomAccess(src io.Reader) (io.ReaderAt, int64, bool) {
	switch r := src.(type) {
	case *os.File:
		off, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, 0, false
		}
		st, err := r.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return nil, 0, false
		}
		return io.NewSectionReader(r, off, st.Size()-off), st.Size() - off, true
	case *bytes.Reader:
		// Size is the whole slice; a fresh reader sits at offset 0.
		return r, r.Size(), true
	}
	return nil, 0, false
}

func zipRecords(ctx context.Context, name string, zr *zip.Reader, opts Options) iter.Seq2[advisory.Advisory, error] {
	return func(yield func(advisory.Advisory, error) bool) {
		var total int64
		buf := make([]byte, 0, 64<<10)
		for i, f := range zr.File {
			if i%256 == 0 && ctx.Err() != nil {
				yield(advisory.Advisory{}, fmt.Errorf("%s: %w: %w", name, feed.ErrBroken, ctx.Err()))
				return
			}
			if f.FileInfo().IsDir() {
				continue
			}
			entry := path.Base(f.Name)
			if f.UncompressedSize64 > uint64(opts.MaxRecordBytes) {
				if !yield(advisory.Advisory{}, fmt.Errorf("%s: %s: %d bytes, over the %d-byte record limit: %w", name, entry, f.UncompressedSize64, opts.MaxRecordBytes, ErrRecord)) {
					return
				}
				continue
			}
			var err error
			buf, err = readEntry(f, buf[:0], opts.MaxRecordBytes)
			total += int64(len(buf))
			switch {
			case errors.Is(err, errTooBig):
				// The header lied about the size: a bomb or a damaged
				// archive; the entry is skipped, the others go on.
				if !yield(advisory.Advisory{}, fmt.Errorf("%s: %s: over the %d-byte record limit: %w", name, entry, opts.MaxRecordBytes, ErrRecord)) {
					return
				}
				continue
			case err != nil:
				yield(advisory.Advisory{}, fmt.Errorf("%s: all.zip entry %s: %w: %w", name, entry, feed.ErrBroken, err))
				return
			}
			if total > opts.MaxArchiveBytes {
				yield(advisory.Advisory{}, fmt.Errorf("%s: all.zip expands to more than %d bytes: %w", name, opts.MaxArchiveBytes, feed.ErrBroken))
				return
			}
			a, err := ParseRecord(buf)
			if err != nil {
				err = fmt.Errorf("%s: %s: %w", name, entry, err)
			}
			if !yield(a, err) {
				return
			}
		}
	}
}

var errTooBig = errors.New("entry over the size limit")

func readEntry(f *zip.File, buf []byte, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return buf, err
	}
	defer rc.Close()
	w := bytes.NewBuffer(buf)
	n, err := w.ReadFrom(io.LimitReader(rc, limit+1))
	if err != nil {
		return w.Bytes(), err
	}
	if n > limit {
		return w.Bytes()[:0], errTooBig
	}
	return w.Bytes(), nil
}

func deltaRecords(ctx context.Context, name string, br *bufio.Reader, h deltaHeader, opts Options) iter.Seq2[advisory.Advisory, error] {
	return func(yield func(advisory.Advisory, error) bool) {
		for _, s := range h.Skipped {
			if !yield(advisory.Advisory{}, fmt.Errorf("%s: %s: %s: %w", name, s.ID, s.Reason, ErrRecord)) {
				return
			}
		}
		for i := range h.Records {
			if i%256 == 0 && ctx.Err() != nil {
				yield(advisory.Advisory{}, fmt.Errorf("%s: %w: %w", name, feed.ErrBroken, ctx.Err()))
				return
			}
			line, err := readLine(br, opts.MaxRecordBytes)
			switch {
			case errors.Is(err, errTooBig):
				if !yield(advisory.Advisory{}, fmt.Errorf("%s: delta record %d: over the %d-byte record limit: %w", name, i+1, opts.MaxRecordBytes, ErrRecord)) {
					return
				}
				continue
			case err == io.EOF:
				yield(advisory.Advisory{}, fmt.Errorf("%s: delta ends after %d of %d records: %w", name, i, h.Records, feed.ErrBroken))
				return
			case errors.Is(err, errNoNewline):
				yield(advisory.Advisory{}, fmt.Errorf("%s: delta record %d: %w: %w", name, i+1, err, feed.ErrBroken))
				return
			case err != nil:
				yield(advisory.Advisory{}, fmt.Errorf("%s: delta record %d: %w: %w", name, i+1, feed.ErrBroken, err))
				return
			}
			a, err := ParseRecord(line)
			if err != nil {
				err = fmt.Errorf("%s: delta record %d: %w", name, i+1, err)
			}
			if !yield(a, err) {
				return
			}
		}
	}
}

// readLine returns the next line without its newline. A line longer than
// limit is consumed and reported as errTooBig. A last line without its
// newline comes with errNoNewline: Fetch ends every line, so it means a cut
// file. io.EOF means no line at all.
func readLine(br *bufio.Reader, limit int64) ([]byte, error) {
	var line []byte
	over := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !over && int64(len(line)+len(chunk)) <= limit+1 {
			line = append(line, chunk...)
		} else {
			over, line = true, nil
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && err != io.EOF:
			return nil, err
		case over:
			return nil, errTooBig
		case err == io.EOF && len(line) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return bytes.TrimRight(line, "\r"), errNoNewline
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}

var errNoNewline = errors.New("last line cut short (no newline)")
