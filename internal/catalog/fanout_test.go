package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type funcExtractor func(r io.Reader) ([]byte, error)

func (f funcExtractor) Extract(_ context.Context, _ string, r io.Reader, _ int64) ([]byte, error) {
	return f(r)
}

var (
	head = funcExtractor(func(r io.Reader) ([]byte, error) {
		b := make([]byte, 4)
		_, err := io.ReadFull(r, b)
		return b, err
	})
	count = funcExtractor(func(r io.Reader) ([]byte, error) {
		n, err := io.Copy(io.Discard, r)
		return []byte(fmt.Sprint(n)), err
	})
	fail = funcExtractor(func(r io.Reader) ([]byte, error) { return nil, errors.New("not mine") })
)

type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestFanOut(t *testing.T) {
	body := strings.Repeat("0123456789", 50000)
	tests := []struct {
		name    string
		r       io.Reader
		fns     []extractFn
		want    map[int]string
		wantErr string
	}{
		{name: "one", r: strings.NewReader(body), fns: []extractFn{{1, "head", head}}, want: map[int]string{1: "0123"}},
		{name: "two, one stops early", r: strings.NewReader(body), fns: []extractFn{{1, "head", head}, {2, "count", count}}, want: map[int]string{1: "0123", 2: "500000"}},
		{name: "one fails", r: strings.NewReader(body), fns: []extractFn{{1, "fail", fail}, {2, "count", count}}, want: map[int]string{2: "500000"}, wantErr: "fail: not mine"},
		{name: "broken stream", r: failingReader{bytes.NewReader([]byte(body))}, fns: []extractFn{{1, "head", head}, {2, "count", count}}, want: map[int]string{1: "0123", 2: "500000"}, wantErr: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := fanOut(context.Background(), "f", tt.r, int64(len(body)), tt.fns)
			got := map[int]string{}
			for _, e := range out {
				got[e.Consumer] = string(e.Data)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantErr != "unexpected EOF" {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}
