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
