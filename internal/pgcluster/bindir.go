package pgcluster

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNotInstalled is returned when no PostgreSQL server binaries can be found, so
// callers can tell "install PostgreSQL" apart from a cluster that failed to start.
var ErrNotInstalled = errors.New("PostgreSQL server binaries (initdb and pg_ctl) not found " +
	"in PATH, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, /opt/homebrew/bin, " +
	"/opt/homebrew/opt/postgresql@*/bin or /usr/local/pgsql/bin; install them: " +
	"Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@15`; " +
	"other systems: the PostgreSQL server package that provides initdb and pg_ctl " +
	"(often named postgresql-server)")

// FindBinDir returns the directory holding initdb, pg_ctl and postgres, because
// distributions install them off PATH (Debian keeps them in
// /usr/lib/postgresql/<version>/bin, Homebrew's postgresql@15 is keg-only).
// The error wraps ErrNotInstalled and says what to install.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); hasServerTools(dir) {
			return dir, nil
		}
	}
	var candidates []string
	candidates = append(candidates, versionedDirs("/usr/lib/postgresql/", "/bin")...)
	candidates = append(candidates, versionedDirs("/usr/pgsql-", "/bin")...)
	candidates = append(candidates, "/opt/homebrew/bin")
	candidates = append(candidates, versionedDirs("/opt/homebrew/opt/postgresql@", "/bin")...)
	candidates = append(candidates, versionedDirs("/usr/local/opt/postgresql@", "/bin")...)
	candidates = append(candidates, "/usr/local/pgsql/bin")
	for _, dir := range candidates {
		if hasServerTools(dir) {
			return dir, nil
		}
	}
	return "", ErrNotInstalled
}

// hasServerTools reports whether dir holds executable initdb, pg_ctl and postgres
// files; postgres is needed too because pg_ctl looks for it next to itself.
func hasServerTools(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// versionedDirs returns the directories matching prefix*suffix, highest version
// first, so that the newest installed server wins.
func versionedDirs(prefix, suffix string) []string {
	matches, _ := filepath.Glob(prefix + "*" + suffix)
	version := func(p string) []int {
		v := strings.TrimSuffix(strings.TrimPrefix(p, prefix), suffix)
		var parts []int
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' }) {
			n, _ := strconv.Atoi(f)
			parts = append(parts, n)
		}
		return parts
	}
	slices.SortFunc(matches, func(a, b string) int {
		return slices.Compare(version(b), version(a))
	})
	return matches
}
