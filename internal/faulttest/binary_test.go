package faulttest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/pgtest"
)

// TestBinary builds the real shopfloor binary once and runs it as operators do:
// as a subprocess, configured by its environment, stopped by a signal.
func TestBinary(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	t.Run("SIGTERM lets the in-flight request finish, refuses new connections and exits 0", func(t *testing.T) {
		t.Parallel()
		testGracefulShutdown(t, bin)
	})
	t.Run("a bad configuration stops it at start naming the variable", func(t *testing.T) {
		t.Parallel()
		testBadConfig(t, bin)
	})
	t.Run("with a certificate it speaks HTTPS only and sends HSTS", func(t *testing.T) {
		t.Parallel()
		testTLS(t, bin)
	})
	t.Run("with Redis unreachable it serves, and every line it writes is a JSON log line", func(t *testing.T) {
		t.Parallel()
		testRedisUnreachable(t, bin)
	})
	t.Run("with DEBUG_ADDR it serves profiles there and only there", func(t *testing.T) {
		t.Parallel()
		testProfiles(t, bin)
	})
	t.Run("with an OTLP endpoint it exports each request's spans in the caller's trace", func(t *testing.T) {
		t.Parallel()
		testTracing(t, bin)
	})
}

// testProfiles runs the binary with DEBUG_ADDR set: the private listener serves
// pprof's index and a heap profile, and the public port answers /debug/pprof/ with
// the API's 404 envelope, as it does without DEBUG_ADDR.
func testProfiles(t *testing.T, bin string) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	debug := "127.0.0.1:" + strconv.Itoa(freePort(t))
	env := serveEnv(t, addr)
	env["DEBUG_ADDR"] = debug
	p := startShopfloor(t, bin, env, "serve")
	c := &http.Client{Timeout: 10 * time.Second}
	waitHealthy(t, p, c, "http://"+addr)

	r := send(t, c, http.MethodGet, "http://"+debug+"/debug/pprof/", nil)
	require.Equal(t, http.StatusOK, r.status, "the profiling listener's index")
	require.Contains(t, string(r.body), "goroutine")
	r = send(t, c, http.MethodGet, "http://"+debug+"/debug/pprof/heap", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.True(t, len(r.body) > 2 && r.body[0] == 0x1f && r.body[1] == 0x8b, "a heap profile is gzipped protobuf")
	r = send(t, c, http.MethodGet, "http://"+debug+"/api/v1/products", nil)
	require.Equal(t, http.StatusNotFound, r.status, "the profiling listener serves nothing of the API")

	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		r = send(t, c, http.MethodGet, "http://"+addr+path, nil)
		require.Equal(t, http.StatusNotFound, r.status, "the public port must not serve %s", path)
		require.Equal(t, "NOT_FOUND", r.envelope(t).Error.Code)
	}
}

// testRedisUnreachable points REDIS_URL at a port nobody listens on. Requests still
// succeed (the rate limits fall back to counting in the process), and the Redis
// client's complaints arrive as structured warnings, not as plain text on stderr that
// a log pipeline expecting JSON lines would choke on.
func testRedisUnreachable(t *testing.T, bin string) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	env := serveEnv(t, addr)
	env["REDIS_URL"] = "redis://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/0"
	env["RATE_LIMIT_GLOBAL"] = "1000/1m" // every request consults Redis first
	p := startShopfloor(t, bin, env, "serve")
	c := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + addr
	waitHealthy(t, p, c, base)

	eventually(t, 30*time.Second, 100*time.Millisecond, "the Redis client reports its failed dial", func() bool {
		res, err := c.Get(base + "/api/v1/products")
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, "a request while Redis is unreachable")
		return strings.Contains(p.out.String(), "failed to dial")
	})
	// The log writer writes whole lines, so what is there now is whole lines.
	for _, line := range strings.Split(strings.TrimSpace(p.out.String()), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "a line that is not JSON: %s", line)
		require.Contains(t, entry, "level", "a log line without a level: %s", line)
	}
	require.Contains(t, p.out.String(), `"msg":"redis client"`, "the Redis client's message, as a warning of its own")
}

// buildBinary runs go build on cmd/shopfloor into the test's temporary directory,
// which outlives the subtests.
func buildBinary(t *testing.T) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err, "go env GOMOD")
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(t.TempDir(), "shopfloor")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/shopfloor")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/shopfloor:\n%s", out)
	t.Logf("built %s in %s", bin, time.Since(start))
	return bin
}

// process is one running shopfloor subprocess.
type process struct {
	cmd  *exec.Cmd
	out  *apitest.SyncBuffer // stdout and stderr together
	done chan struct{}
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to end and returns its exit code.
func (p *process) wait(t *testing.T, d time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), time.Since(start)
	case <-time.After(d):
		t.Fatalf("shopfloor did not exit within %s; output:\n%s", d, p.out)
		return 0, 0
	}
}

// startShopfloor starts the binary with only the given environment (plus PATH and
// HOME), so nothing from the test's own environment leaks into its configuration.
func startShopfloor(t *testing.T, bin string, env map[string]string, args ...string) *process {
	t.Helper()
	p := &process{out: &apitest.SyncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{}
	require.NoError(t, startWithTest(t, p.cmd))
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("shopfloor output:\n%s", p.out)
		}
	})
	return p
}

// serveEnv is a working configuration for `shopfloor serve` on addr, on a new database.
func serveEnv(t *testing.T, addr string) map[string]string {
	return serveEnvOn(pgtest.NewDB(t), addr)
}

// serveEnvOn is a working configuration for `shopfloor serve` on addr and dbURL.
func serveEnvOn(dbURL, addr string) map[string]string {
	return map[string]string{
		"DATABASE_URL":      dbURL,
		"JWT_SECRET":        apitest.TestJWTSecret,
		"HTTP_ADDR":         addr,
		"APP_ENV":           "test",
		"RATE_LIMIT_GLOBAL": "off",
	}
}

// waitHealthy polls /healthz until it answers 200, failing early if the process dies.
func waitHealthy(t *testing.T, p *process, c *http.Client, base string) {
	t.Helper()
	took := eventually(t, 20*time.Second, 20*time.Millisecond, "shopfloor answers /healthz", func() bool {
		if p.exited() {
			t.Fatalf("shopfloor exited with %d before serving; output:\n%s", p.cmd.ProcessState.ExitCode(), p.out)
		}
		res, err := c.Get(base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	t.Logf("serving after %s", took)
}

var inFlightMetric = regexp.MustCompile(`(?m)^shopfloor_http_requests_in_flight (\d+)`)

func testGracefulShutdown(t *testing.T, bin string) {
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	base := "http://" + addr
	env := serveEnv(t, addr)
	env["BCRYPT_COST"] = "14" // a login then takes about a second: long enough to be caught mid-flight
	env["SHUTDOWN_TIMEOUT"] = "10s"
	p := startShopfloor(t, bin, env, "serve")
	// Fresh connections every time, so no kept-alive connection hides a closed listener.
	plain := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	waitHealthy(t, p, plain, base)

	creds := map[string]string{"email": "drain@example.com", "password": "Drain-Test-2026", "name": "Drain Test"}
	r := send(t, plain, "POST", base+"/api/v1/auth/register", creds)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	t.Logf("register with BCRYPT_COST=14 took %s", r.took)

	type result struct {
		status int
		body   []byte
		err    error
		at     time.Time
	}
	login := make(chan result, 1)
	loginStart := time.Now()
	go func() {
		body, _ := json.Marshal(map[string]string{"email": creds["email"], "password": creds["password"]})
		res, err := plain.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(string(body)))
		if err != nil {
			login <- result{err: err, at: time.Now()}
			return
		}
		defer res.Body.Close()
		data, err := io.ReadAll(res.Body)
		login <- result{status: res.StatusCode, body: data, err: err, at: time.Now()}
	}()
	// The server is working on the login when it counts two requests in flight: the
	// login and the /metrics request asking.
	eventually(t, 5*time.Second, 5*time.Millisecond, "the login is in flight", func() bool {
		res, err := plain.Get(base + "/metrics")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		m := inFlightMetric.FindSubmatch(data)
		if m == nil {
			return false
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n >= 2
	})

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	signalled := time.Now()
	t.Logf("SIGTERM sent %s into the login", signalled.Sub(loginStart))

	// New connections are refused as soon as shutdown begins (a dial racing the
	// close may instead be reset, from the listener's backlog)...
	refusedAfter := eventually(t, 3*time.Second, 2*time.Millisecond, "new connections are refused", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return false
		}
		require.True(t, errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET),
			"dialing after SIGTERM: %v, want connection refused", err)
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	require.False(t, p.exited(), "the process exited before the in-flight login finished")
	select {
	case <-login:
		t.Fatal("the login finished before the listener closed, so this run proves no draining; is bcrypt too fast?")
	default:
	}
	t.Logf("new connections refused %s after SIGTERM, while the login was still in flight", refusedAfter)

	// ...while the request in flight completes normally.
	var lr result
	select {
	case lr = <-login:
	case <-time.After(15 * time.Second):
		t.Fatal("the in-flight login never completed")
	}
	require.NoError(t, lr.err, "the in-flight login was cut off by the shutdown")
	require.Equal(t, http.StatusOK, lr.status, string(lr.body))
	var ok struct {
		Success bool `json:"success"`
		Data    struct {
			Tokens struct {
				AccessToken string `json:"accessToken"`
			} `json:"tokens"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(lr.body, &ok))
	require.True(t, ok.Success)
	require.NotEmpty(t, ok.Data.Tokens.AccessToken)
	t.Logf("in-flight login completed with %d, %s after SIGTERM (%s in all)", lr.status, lr.at.Sub(signalled), lr.at.Sub(loginStart))

	code, took := p.wait(t, 10*time.Second+5*time.Second) // SHUTDOWN_TIMEOUT plus a margin
	require.Equal(t, 0, code, "exit code after SIGTERM; output:\n%s", p.out)
	exitedAfter := time.Since(signalled)
	t.Logf("exited 0, %s after SIGTERM (%s after the login answered)", exitedAfter, took)

	out := p.out.String()
	require.Contains(t, out, `"msg":"shutting down"`)
	require.Contains(t, out, `"msg":"stopped"`)
	require.Less(t, strings.Index(out, `"msg":"shutting down"`), strings.Index(out, `"msg":"login succeeded"`),
		"the login finished after shutdown began")
	require.Less(t, strings.Index(out, `"msg":"login succeeded"`), strings.Index(out, `"msg":"stopped"`),
		"the server stopped before the in-flight login finished")
}

func testBadConfig(t *testing.T, bin string) {
	cases := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"a pool of no connections is refused", map[string]string{"DB_MAX_CONNS": "0"}, "DB_MAX_CONNS"},
		{"a JWT secret shorter than 32 bytes is refused", map[string]string{"JWT_SECRET": "too-short"}, "JWT_SECRET"},
		{"a missing JWT secret outside development is refused", map[string]string{"JWT_SECRET": ""}, "JWT_SECRET"},
		{"a malformed duration is refused", map[string]string{"DB_STATEMENT_TIMEOUT": "soon"}, "DB_STATEMENT_TIMEOUT"},
		{"a profiling address without a port is refused", map[string]string{"DEBUG_ADDR": "localhost"}, "DEBUG_ADDR"},
		{"an OTLP endpoint that is not a URL is refused", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				// Never dialled: the configuration is checked before anything connects.
				"DATABASE_URL": "postgres://shopfloor@127.0.0.1:1/shopfloor",
				"JWT_SECRET":   apitest.TestJWTSecret,
				"HTTP_ADDR":    "127.0.0.1:0",
				"APP_ENV":      "production",
			}
			for k, v := range tc.set {
				env[k] = v
			}
			p := startShopfloor(t, bin, env, "serve")
			code, _ := p.wait(t, 20*time.Second)
			require.NotEqual(t, 0, code, "shopfloor started with %v; output:\n%s", tc.set, p.out)
			require.Contains(t, p.out.String(), tc.want, "the message must name the variable")
			require.NotContains(t, p.out.String(), "listening")
			t.Logf("exit %d: %s", code, strings.TrimSpace(p.out.String()))
		})
	}
}

func testTLS(t *testing.T, bin string) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := serveEnv(t, addr)
	env["TLS_CERT_FILE"], env["TLS_KEY_FILE"] = certFile, keyFile
	p := startShopfloor(t, bin, env, "serve")

	https := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	waitHealthy(t, p, https, "https://"+addr)
	r := send(t, https, "GET", "https://"+addr+"/healthz", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Contains(t, r.header.Get("Strict-Transport-Security"), "max-age=", "HTTPS responses carry HSTS")
	t.Logf("HTTPS GET /healthz → %d, Strict-Transport-Security: %s", r.status, r.header.Get("Strict-Transport-Security"))

	// Plain HTTP on the same port gets no API answer: Go's TLS server replies with a
	// bare 400 to a request that is not a TLS handshake, or the connection fails.
	plain := &http.Client{Timeout: 10 * time.Second}
	res, err := plain.Get("http://" + addr + "/healthz")
	if err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.NotEqual(t, http.StatusOK, res.StatusCode, "plain HTTP was served: %s", body)
		require.NotContains(t, string(body), `"success"`, "plain HTTP reached the API")
		t.Logf("plain HTTP GET /healthz → %d %q", res.StatusCode, strings.TrimSpace(string(body)))
	} else {
		t.Logf("plain HTTP GET /healthz failed: %v", err)
	}

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	code, _ := p.wait(t, 20*time.Second)
	require.Equal(t, 0, code, "exit code after SIGTERM")
}

// selfSignedCert writes a fresh ECDSA certificate for 127.0.0.1 and localhost and
// its key, and returns a pool that trusts it.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "shopfloor faulttest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
