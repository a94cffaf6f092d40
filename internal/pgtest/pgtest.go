// Package pgtest runs throwaway PostgreSQL clusters for tests that stop,
// restart or crash the database, which the machine's shared server (used
// by other tests at the same time) must never be.
package pgtest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StopMode is how a cluster is stopped, as pg_ctl's -m names it.
type StopMode string

const (
	// Fast rolls back open transactions, closes the sessions and
	// checkpoints: an administrator's restart.
	Fast StopMode = "fast"
	// Immediate kills the server without a checkpoint: a crash, recovered
	// from the WAL at the next start.
	Immediate StopMode = "immediate"
)

// Cluster is a PostgreSQL cluster of its own: its data directory, server
// log and Unix socket lie in a test's temporary directory, and it listens
// on 127.0.0.1 on a port of its own, with trust authentication for the
// user postgres. It keeps its port and data across restarts. Its methods
// are safe to call from any goroutine.
type Cluster struct {
	bin  string // the directory of initdb, pg_ctl and postgres
	dir  string // the cluster's root: data, log, socket
	data string
	log  string
	port int
	// cred runs the binaries as another user: PostgreSQL refuses root.
	cred *syscall.Credential

	mu      sync.Mutex
	running bool
}

// Start creates a cluster with the machine's own PostgreSQL binaries and
// starts it; the cluster is stopped and removed when the test ends. The
// test is skipped when no binaries are found, except under CI (CI set),
// where that fails it: CI's machine has them, and a test skipped there
// would prove nothing.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pgtest: %v (CI must have the PostgreSQL server package installed)", err)
		}
		t.Skipf("pgtest: %v: tests of a private PostgreSQL cluster skipped", err)
	}
	c := &Cluster{bin: bin, dir: t.TempDir()}
	c.data = filepath.Join(c.dir, "data")
	c.log = filepath.Join(c.dir, "server.log")
	if err := c.prepareDir(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	start := time.Now()
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := c.configure(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Registered after TempDir's removal: runs before it.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgtest: end of the server log:\n%s", c.logTail())
		}
		if err := c.kill(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	// The free port found may be taken by another process before the
	// server binds it: try another.
	for try := 0; ; try++ {
		if c.port, err = freePort(); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		if err = c.setPort(); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		if err = c.Start(); err == nil {
			break
		}
		if try == 2 || !strings.Contains(c.logTail(), "could not bind") {
			t.Fatal(err)
		}
	}
	t.Logf("pgtest: cluster on 127.0.0.1:%d in %s, ready in %v", c.port, c.dir, time.Since(start).Round(time.Millisecond))
	return c
}

// DSN is the URL of the cluster's database postgres, as user postgres.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Port is the TCP port the cluster listens on.
func (c *Cluster) Port() int { return c.port }

// Start starts the stopped cluster again, on the same port and data, and
// returns once it accepts connections. Starting a running cluster does
// nothing.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	if out, err := c.run("pg_ctl", "start", "-D", c.data, "-l", c.log, "-w", "-t", "60", "-s"); err != nil {
		return fmt.Errorf("pgtest: starting the cluster on port %d: %w\n%s\nserver log:\n%s", c.port, err, out, c.logTail())
	}
	c.running = true
	return nil
}

// Stop stops the cluster and returns once its server has exited.
// Stopping a stopped cluster does nothing.
func (c *Cluster) Stop(mode StopMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if out, err := c.run("pg_ctl", "stop", "-D", c.data, "-m", string(mode), "-w", "-t", "60", "-s"); err != nil {
		return fmt.Errorf("pgtest: stopping the cluster (%s): %w\n%s", mode, err, out)
	}
	c.running = false
	return nil
}

// kill stops whatever server runs on the data directory, whether or not
// the cluster thinks it started one (pg_ctl may have timed out waiting).
func (c *Cluster) kill() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		c.running = false
		return nil
	}
	// A server that died leaves its pid file: nothing to stop then.
	if out, err := c.run("pg_ctl", "stop", "-D", c.data, "-m", string(Immediate), "-w", "-t", "60", "-s"); err != nil && !bytes.Contains(out, []byte("No such process")) {
		return fmt.Errorf("pgtest: stopping the cluster at the end of the test: %w\n%s", err, out)
	}
	c.running = false
	return nil
}

// Restart stops the cluster in the mode given and starts it again.
func (c *Cluster) Restart(mode StopMode) error {
	if err := c.Stop(mode); err != nil {
		return err
	}
	return c.Start()
}

// findBin returns the directory of the newest PostgreSQL server binaries:
// Debian's /usr/lib/postgresql/<version>/bin, else the one on PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(version(b), version(a)) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if complete(d) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) under /usr/lib/postgresql/*/bin or on PATH")
}

func complete(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// prepareDir gives the cluster's directory to the user postgres when the
// test runs as root, which PostgreSQL refuses to run as.
func (c *Cluster) prepareDir() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root, and no user postgres to run PostgreSQL as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("user postgres: %w", err)
	}
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	if err := os.Chown(c.dir, int(uid), int(gid)); err != nil {
		return err
	}
	if err := os.Chmod(c.dir, 0o700); err != nil {
		return err
	}
	// The testing package makes the test's temporary root 0700: let
	// postgres through it, then check every directory above.
	parent := filepath.Dir(c.dir)
	if fi, err := os.Stat(parent); err == nil && fi.Mode().Perm()&0o001 == 0 {
		if err := os.Chmod(parent, fi.Mode().Perm()|0o001); err != nil {
			return err
		}
	}
	for d := parent; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("user postgres cannot reach %s through %s (mode %v): set TMPDIR or GOTMPDIR to a directory it can reach", c.dir, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// configure appends the cluster's settings to postgresql.conf. fsync is
// off for speed: data written survives the server's crash (it is in the
// kernel's cache), not the machine's, which no test causes. Commits stay
// synchronous, so that what a client saw committed survives an immediate
// stop.
func (c *Cluster) configure() error {
	sock := c.dir
	// A Unix socket's path is at most 107 bytes; TCP alone serves the
	// tests when the temporary directory is deeper than that.
	if len(filepath.Join(sock, ".s.PGSQL.65535")) > 107 {
		sock = ""
	}
	conf := fmt.Sprintf(`
# pgtest
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
fsync = off
shared_buffers = 32MB
max_connections = 60
lc_messages = 'C'
`, strings.ReplaceAll(sock, "'", "''"))
	return c.appendConf(conf)
}

// setPort appends the port: the last setting of a name wins.
func (c *Cluster) setPort() error {
	return c.appendConf(fmt.Sprintf("port = %d\n", c.port))
}

func (c *Cluster) appendConf(s string) error {
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run runs one of the cluster's binaries, as postgres when needed, and
// returns its output.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	// The PG* variables of the caller (PGPORT, PGHOST…) must not steer
	// the cluster.
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the server running with its output in the
	// log file; should it hold our pipe anyway, do not wait for it.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// logTail returns the end of the server's log.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}
