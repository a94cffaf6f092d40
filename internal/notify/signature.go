package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a delivery's signature:
//
//	Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// t is when the request was signed (each attempt is signed anew); the MAC
// covers t, a full stop and the exact body bytes. Receivers should accept
// any v1 entry that matches, so that a future secret rotation can send two.
const SignatureHeader = "Vigil-Signature"

// Errors of Verify.
var (
	// ErrNoSignature: the header is missing or malformed.
	ErrNoSignature = errors.New("notify: no valid signature header")
	// ErrBadSignature: no v1 entry matches the body under the secret.
	ErrBadSignature = errors.New("notify: signature does not match")
	// ErrStale: the signature's time is further from now than the
	// tolerance (a replayed or much delayed request).
	ErrStale = errors.New("notify: signature time outside the tolerance")
)

// Sign returns the value of the Vigil-Signature header for body signed at t.
func Sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a Vigil-Signature header against the body received and the
// subscription's secret; with a positive tolerance it also refuses a
// signature made further than that from now. Receivers written in Go inside
// this module use it; docs/notifications.md shows the same check in plain
// standard-library Go for the others.
func Verify(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if secret == "" {
		return errors.New("notify: Verify: empty secret")
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: %q", ErrNoSignature, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("%w: two timestamps", ErrNoSignature)
			}
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return fmt.Errorf("%w: v1 is not a hex SHA-256 MAC", ErrNoSignature)
			}
			sigs = append(sigs, b)
		}
		// Other keys are schemes this version does not know: ignored.
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("%w: want t=…,v1=…", ErrNoSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrNoSignature, ts)
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal(s, want)
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); tolerance > 0 && (d > tolerance || d < -tolerance) {
		return fmt.Errorf("%w: signed %s ago", ErrStale, d.Round(time.Second))
	}
	return nil
}
