package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/config"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadRefusesBadValuesNamingEachVariable(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{
		"APP_ENV":      "staging",
		"DB_MAX_CONNS": "0",
		"BCRYPT_COST":  "9",
		"JWT_SECRET":   "short",
	}))
	require.Error(t, err)
	for _, name := range []string{"APP_ENV", "DB_MAX_CONNS", "BCRYPT_COST", "JWT_SECRET"} {
		require.Contains(t, err.Error(), name)
	}
}

func TestLoadRequiresAJWTSecretOutsideDevelopment(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(nil))
	require.ErrorContains(t, err, "JWT_SECRET is required")

	cfg, err := config.Load(env(map[string]string{"APP_ENV": "development"}))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cfg.JWTSecret), 32, "development generates a secret")
}

func TestLoadAppliesTheDocumentedDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{"JWT_SECRET": strings.Repeat("k", 32)}))
	require.NoError(t, err)
	require.Equal(t, int32(20), cfg.DBMaxConns)
	require.Equal(t, 12, cfg.BcryptCost)
	require.Equal(t, int64(1<<20), cfg.BodyLimitBytes)
	require.Equal(t, "2s", cfg.DBConnectTimeout.String())
	require.Equal(t, "30s", cfg.DBIdleTimeout.String())
	require.Equal(t, config.EnvProduction, cfg.Env)
}

func TestTrustedProxiesTakeIPsAndCIDRs(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{"APP_ENV": "development", "TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16"}))
	require.NoError(t, err)
	require.Len(t, cfg.TrustedProxies, 2)
	_, err = config.Load(env(map[string]string{"APP_ENV": "development", "TRUSTED_PROXIES": "not-an-ip"}))
	require.ErrorContains(t, err, "TRUSTED_PROXIES")
}

func TestTheReadmeDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, v := range config.Vars {
		require.Contains(t, string(readme), "| `"+v.Name+"` |", "README.md's table lacks %s", v.Name)
	}
}

func TestDebugAddrIsOffByDefaultAndCheckedWhenSet(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 32)
	cfg, err := config.Load(env(map[string]string{"JWT_SECRET": secret}))
	require.NoError(t, err)
	require.Empty(t, cfg.DebugAddr, "no profiling listener unless asked for")

	cfg, err = config.Load(env(map[string]string{"JWT_SECRET": secret, "DEBUG_ADDR": "127.0.0.1:6060"}))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:6060", cfg.DebugAddr)

	for _, bad := range []string{"6060", "localhost", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:pprof", "127.0.0.1:8080"} {
		_, err := config.Load(env(map[string]string{"JWT_SECRET": secret, "HTTP_ADDR": ":8080", "DEBUG_ADDR": bad}))
		require.ErrorContains(t, err, "DEBUG_ADDR", "DEBUG_ADDR=%q must be refused", bad)
	}
}

func TestTracingIsOnOnlyWithAnEndpointAndChecksTheOTELVariables(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 32)
	load := func(kv map[string]string) (config.Config, error) {
		kv["JWT_SECRET"] = secret
		return config.Load(env(kv))
	}
	cases := []struct {
		name string
		set  map[string]string
		on   bool
	}{
		{"nothing set: off", map[string]string{}, false},
		{"a sampler alone: off", map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}, false},
		{"an endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{"a traces endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector.example/v1/traces"}, true},
		{"an endpoint with the SDK disabled: off", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "TRUE"}, false},
		{"an endpoint with no exporter: off", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	}
	for _, tc := range cases {
		cfg, err := load(tc.set)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.on, cfg.Tracing.Enabled, tc.name)
	}
	cfg, err := load(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
	require.NoError(t, err)
	require.Equal(t, "grpc", cfg.Tracing.Protocol)

	bad := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "127.0.0.1:4318",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector",
		"OTEL_EXPORTER_OTLP_PROTOCOL":        "http/json",
		"OTEL_TRACES_SAMPLER":                "sometimes",
		"OTEL_TRACES_SAMPLER_ARG":            "1.5",
		"OTEL_TRACES_EXPORTER":               "zipkin",
		"OTEL_SDK_DISABLED":                  "yes",
	}
	for name, value := range bad {
		_, err := load(map[string]string{name: value})
		require.ErrorContains(t, err, name, "%s=%q must be refused", name, value)
	}
}

func TestReplicaURLsAreAListAndABadOneIsNamedButNotQuoted(t *testing.T) {
	t.Parallel()
	base := map[string]string{"APP_ENV": "development"}
	cfg, err := config.Load(env(base))
	require.NoError(t, err)
	require.Empty(t, cfg.DatabaseReplicaURLs, "no replicas by default")
	require.Equal(t, "5s", cfg.ReplicaMaxLag.String())

	base["DATABASE_REPLICA_URLS"] = "postgres://r1:5432/shop, postgres://r2:5432/shop"
	cfg, err = config.Load(env(base))
	require.NoError(t, err)
	require.Equal(t, []string{"postgres://r1:5432/shop", "postgres://r2:5432/shop"}, cfg.DatabaseReplicaURLs)

	base["DATABASE_REPLICA_URLS"] = "postgres://r1:5432/shop,postgres://app:s3cr3t@r2:port/shop"
	base["REPLICA_MAX_LAG"] = "1ms"
	_, err = config.Load(env(base))
	require.ErrorContains(t, err, "DATABASE_REPLICA_URLS entry 2 of 2")
	require.ErrorContains(t, err, "REPLICA_MAX_LAG")
	require.NotContains(t, err.Error(), "s3cr3t", "a replica URL's password never appears in the message")
}
