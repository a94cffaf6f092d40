package runtime

import (
	"bytes"
	"slices"
	"strings"
)

// redisFinder finds REDIS_VERSION. Redis keeps it as a string of its own
// (for INFO's redis_version), among others like it (the versions that
// introduced each command), and glued to the build id that
// redisBuildIdString hashes: REDIS_VERSION, the build host, the build
// time, the dirty flag and the git sha1, as in
// "7.0.14buildkitsandbox-1702957741000000000" or Debian's
// "7.0.151790282056000000000". Neither is enough alone: the version is
// the longest free-standing version that starts a build id. Redis 2 said
// it plainly: "Server started, Redis version 2.8.23".
//
// Valkey, which keeps Redis's strings for compatibility, is recognised and
// not reported as Redis.
type redisFinder struct {
	standalone map[string]bool
	buildIDs   []string
	plain      []candidate
	valkey     bool
}

const (
	maxStandalone = 4096
	maxBuildIDLen = 128
	// A build id ends with a ten-digit time, a dirty count and eight hex
	// digits of sha1.
	buildIDTail = 10 + 1 + 8
)

var (
	redisPlain = []byte("Redis version ")
	valkeyMark = []byte("valkey")
)

func (f *redisFinder) find(data []byte, from, limit int) bool {
	if hi := min(limit+len(valkeyMark)-1, len(data)); bytes.Contains(data[from:hi], valkeyMark) {
		f.valkey = true
		return true
	}
	hi := min(limit+len(redisPlain)-1, len(data))
	for i := from; i < limit; {
		j := bytes.Index(data[i:hi], redisPlain)
		if j < 0 {
			break
		}
		i += j
		vs := i + len(redisPlain)
		if e := nums(data, vs, 3, 3); e > 0 && isAt(data, e, 0) && len(f.plain) < maxCandidates {
			v := string(data[vs:e])
			if !slices.ContainsFunc(f.plain, func(c candidate) bool { return c.version == v }) {
				f.plain = append(f.plain, candidate{v, string(redisPlain) + v})
			}
		}
		i++
	}
	// Every token holding a dotted version is judged at its first dot.
	for i := from; i < limit; {
		j := bytes.IndexByte(data[i:limit], '.')
		if j < 0 {
			break
		}
		dot := i + j
		i = dot + 1
		s := dot
		for s > 0 && dot-s < 7 && isDigit(data[s-1]) {
			s--
		}
		if s == dot || s > 0 && (data[s-1] == '.' || isDigit(data[s-1])) {
			continue
		}
		// Major and minor, then a third part that may run into the build
		// host and time: "7.0.15", "7.0.14buildkitsandbox-1702…".
		e := nums(data, s, 2, 2)
		if e < 0 || !isAt(data, e, '.') {
			continue
		}
		t := e + 1
		for t < len(data) && t-s <= maxBuildIDLen && (isAlnum(data[t]) || data[t] == '-' || data[t] == '_') {
			t++
		}
		if t == e+1 || !isDigit(data[e+1]) || !isAt(data, t, 0) {
			continue
		}
		switch patch := data[e+1 : t]; {
		case digits(patch) == len(patch) && len(patch) <= 6 && (s == 0 || data[s-1] == 0):
			if f.standalone == nil {
				f.standalone = map[string]bool{}
			}
			if len(f.standalone) < maxStandalone {
				f.standalone[string(data[s:t])] = true
			}
		case len(patch) > buildIDTail && isBuildIDTail(data[t-buildIDTail:t]):
			if id := string(data[s:t]); len(f.buildIDs) < maxCandidates && !slices.Contains(f.buildIDs, id) {
				f.buildIDs = append(f.buildIDs, id)
			}
		}
		i = max(i, t)
	}
	return false
}

// isBuildIDTail checks the last 19 bytes of a build id: eleven digits
// (the time and a dirty count of 0), then eight lower-case hex digits.
func isBuildIDTail(b []byte) bool {
	for k, c := range b {
		if k < 11 && !isDigit(c) || k >= 11 && !isDigit(c) && !('a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (f *redisFinder) result() summary {
	if f.valkey {
		return summary{}
	}
	var found []candidate
	for _, id := range f.buildIDs {
		best := ""
		for v := range f.standalone {
			if strings.HasPrefix(id, v) && len(v) > len(best) && len(id) > len(v) {
				best = v
			}
		}
		if best != "" && !slices.ContainsFunc(found, func(c candidate) bool { return c.version == best }) {
			found = append(found, candidate{best, id})
		}
	}
	return decide(redis, found, f.plain)
}
