// Package pgtest gives tests a real PostgreSQL database, one fresh database per test.
//
// The server is the one named by $IDPHOTO_TEST_POSTGRES (a URL whose user may create
// databases), else a throw-away cluster this package makes on first use from the
// PostgreSQL binaries it finds (on PATH or in /usr/lib/postgresql/*/bin): initdb in a
// temporary folder, fsync off, listening on a unix socket in that folder only. As
// root, the cluster is made and run as the postgres user (PostgreSQL refuses root).
// With neither, tests that need it are skipped, unless $IDPHOTO_REQUIRE_POSTGRES=1,
// which makes them fail instead (CI proves the dialect that way).
//
// One cluster serves the whole test binary: call Main from TestMain so that it is
// stopped at the end.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// The environment variables the package reads.
const (
	EnvURL     = "IDPHOTO_TEST_POSTGRES"
	EnvRequire = "IDPHOTO_REQUIRE_POSTGRES"
)

var (
	once    sync.Once
	srv     *server
	srvErr  error
	stopped bool
	mu      sync.Mutex
)

// server is where the test databases are made: admin is connected to a database that
// is not one of them, base is the URL whose path names a database.
type server struct {
	base    *url.URL
	admin   *sql.DB
	cluster *cluster // nil for $IDPHOTO_TEST_POSTGRES
}

// Main runs the tests and then stops the cluster, if one was started. Use it as
// os.Exit(pgtest.Main(m)) in TestMain. Where PostgreSQL is required (CI), the
// cluster starts at once, beside the first tests, rather than when one asks for it.
func Main(m *testing.M) int {
	if os.Getenv(EnvRequire) == "1" {
		go Available()
	}
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	stopped = true
	if srv != nil {
		srv.admin.Close()
		if srv.cluster != nil {
			if err := srv.cluster.stop(); err != nil {
				fmt.Fprintln(os.Stderr, "pgtest:", err)
			}
		}
	}
	return code
}

// DB makes an empty database for t, dropped when t ends, and returns its URL. Without
// a server it skips t, or fails it where $IDPHOTO_REQUIRE_POSTGRES=1.
func DB(t testing.TB) string {
	t.Helper()
	s, err := get()
	if errors.Is(err, errStopped) {
		t.Fatal(err)
	}
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("pgtest: PostgreSQL required (%s=1) but unavailable: %v", EnvRequire, err)
		}
		t.Skipf("pgtest: no PostgreSQL (%v); set %s or install the postgresql package", err, EnvURL)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "idphoto_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		// FORCE ends the connections a failed test may have left open.
		if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	u := *s.base
	u.Path = "/" + name
	return u.String()
}

// Available reports whether a server can be had, starting the cluster if needed.
func Available() bool {
	_, err := get()
	return err == nil
}

var errStopped = errors.New("pgtest: a database was asked for after Main returned")

// get starts the server once; never after Main stopped it.
func get() (*server, error) {
	mu.Lock()
	defer mu.Unlock()
	if stopped {
		return nil, errStopped
	}
	once.Do(func() { srv, srvErr = start() })
	return srv, srvErr
}

func start() (*server, error) {
	if v := os.Getenv(EnvURL); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("%s is not a postgres:// URL", EnvURL)
		}
		return connect(u, nil)
	}
	c, err := newCluster()
	if err != nil {
		return nil, err
	}
	s, err := connect(c.url(), c)
	if err != nil {
		c.stop()
		return nil, err
	}
	return s, nil
}

func connect(u *url.URL, c *cluster) (*server, error) {
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	return &server{base: u, admin: db, cluster: c}, nil
}

// cluster is a PostgreSQL cluster in a temporary folder.
type cluster struct {
	bin  string // the folder of initdb, pg_ctl and postgres
	dir  string // holds data/, the socket and the log
	as   string // user to run as ("" for the current one)
	port int
}

// binDir finds the PostgreSQL binaries: initdb on PATH (followed through links, so
// that pg_ctl and postgres are found beside it), else the newest
// /usr/lib/postgresql/N/bin, where Debian puts them without linking them to PATH.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		d := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no initdb on PATH or in /usr/lib/postgresql/*/bin")
}

func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func newCluster() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	sweep(bin)
	dir, err := os.MkdirTemp("", "idphoto-pg-")
	if err != nil {
		return nil, err
	}
	// The owner's pid: a later run stops this cluster if its test binary died first
	// (killed, or a test timeout's panic) without stopping it.
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir, port: 5432}
	if os.Geteuid() == 0 {
		// PostgreSQL will not run as root: hand the folder to an unprivileged user.
		name, uid, gid, err := unprivileged()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.as = name
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// Only a socket in our own folder, so clusters of test binaries running side by
	// side never meet; no durability (a crash loses a throw-away database).
	conf := fmt.Sprintf(`
listen_addresses = ''
unix_socket_directories = '%s'
port = %d
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 200
`, dir, c.port)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(conf)
		f.Close()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	return c, nil
}

// sweep stops and removes the clusters left by test binaries that are gone.
func sweep(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "idphoto-pg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // its owner still runs (or is not ours to judge)
		}
		c := &cluster{bin: bin, dir: dir}
		if fi, err := os.Stat(filepath.Join(dir, "data")); err == nil && os.Geteuid() == 0 {
			if u, err := user.LookupId(strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid))); err == nil && u.Uid != "0" {
				c.as = u.Username
			}
		}
		c.stop()
	}
}

// unprivileged is the user a root test process runs the cluster as: postgres (the
// Debian package makes it), else nobody.
func unprivileged() (string, int, int, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil {
			return name, uid, gid, nil
		}
	}
	return "", 0, 0, errors.New("running as root and no postgres or nobody user to run PostgreSQL as")
}

func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.as != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.as, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func (c *cluster) url() *url.URL {
	q := url.Values{}
	q.Set("host", c.dir)
	q.Set("port", strconv.Itoa(c.port))
	q.Set("sslmode", "disable")
	return &url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres", RawQuery: q.Encode()}
}

func (c *cluster) stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
