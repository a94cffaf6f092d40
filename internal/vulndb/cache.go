package vulndb

import "sync"

// lookupCache keeps decoded lookups for as long as the database's
// generation token is unchanged. Every Apply that changes what lookups
// return replaces the token in the same transaction (also when another
// process writes), and a lookup is decoded under the token read in the
// same statement, so a cached lookup is never older than its token.
//
// A scan asks each (ecosystem, package) key once, so a single scan gains
// nothing; a process that scans repeatedly (the server, the monitor) asks
// the same keys again and again, and decoding a key with thousands of
// matches costs milliseconds.
type lookupCache struct {
	mu      sync.Mutex
	max     int // matches kept at most; 0 disables the cache
	token   int64
	entries map[Key][]Match
	size    int // matches held, a key without matches counting as one
}

func newLookupCache(max int) *lookupCache {
	if max < 0 {
		max = 0
	}
	return &lookupCache{max: max, entries: map[Key][]Match{}}
}

func cost(ms []Match) int { return max(len(ms), 1) }

// has reports whether key was cached, under any token.
func (c *lookupCache) has(key Key) bool {
	if c.max == 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[key]
	return ok
}

// get returns the cached lookup of key if token is current; a new token
// empties the cache.
func (c *lookupCache) get(token int64, key Key) ([]Match, bool) {
	if c.max == 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if token != c.token {
		c.reset(token)
		return nil, false
	}
	ms, ok := c.entries[key]
	return ms[:len(ms):len(ms)], ok
}

// put caches the lookup of key read under token.
func (c *lookupCache) put(token int64, key Key, ms []Match) {
	n := cost(ms)
	if c.max == 0 || n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if token != c.token {
		c.reset(token)
	}
	if old, ok := c.entries[key]; ok {
		delete(c.entries, key)
		c.size -= cost(old)
	}
	// Over the bound, arbitrary entries go (map order is random).
	for k, old := range c.entries {
		if c.size+n <= c.max {
			break
		}
		delete(c.entries, k)
		c.size -= cost(old)
	}
	c.entries[key] = ms
	c.size += n
}

func (c *lookupCache) reset(token int64) {
	c.token = token
	clear(c.entries)
	c.size = 0
}
