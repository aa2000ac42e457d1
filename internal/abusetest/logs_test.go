package abusetest

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
)

// requestLine is what the request logger writes for every request.
type requestLine struct {
	RequestID string `json:"requestId"`
	UserID    string `json:"userId"`
	Request   *struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Route  string `json:"route"`
		IP     string `json:"ip"`
	} `json:"request"`
	Response *struct {
		Status  int      `json:"status"`
		Latency *float64 `json:"latency"`
	} `json:"response"`
}

// Over a whole account life the logs say who did what, from where, how it went and
// how long it took, and never repeat a password or a token.
func TestLogsKeepSecretsAndDescribeEveryRequest(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	const (
		firstPassword  = "First-Secret-Passw0rd"
		secondPassword = "Second-Secret-Passw0rd"
		wrongPassword  = "Wrong-Guess-Passw0rd"
	)
	email := apitest.UniqueEmail("logs")
	var secrets []string // every password and token the flow handles
	addTokens := func(tok client.Tokens) {
		// The whole token, and its signature on its own: a log that split the JWT
		// would still leak it.
		parts := strings.Split(tok.AccessToken, ".")
		require.Len(t, parts, 3)
		secrets = append(secrets, tok.AccessToken, parts[2], tok.RefreshToken)
	}
	secrets = append(secrets, firstPassword, secondPassword, wrongPassword)
	type call struct {
		what          string
		res           *http.Response
		authenticated bool
	}
	var calls []call

	reg, err := env.Client.RegisterUserWithResponse(ctx, client.RegisterUserJSONRequestBody{Email: client.Email(email), Password: firstPassword, Name: "Log Reader"})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, reg.StatusCode(), string(reg.Body))
	addTokens(reg.JSON201.Data.Tokens)
	userID := reg.JSON201.Data.User.Id.String()
	calls = append(calls, call{"register", reg.HTTPResponse, false})

	in, err := env.Client.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(email), Password: firstPassword})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, in.StatusCode(), string(in.Body))
	addTokens(in.JSON200.Data.Tokens)
	calls = append(calls, call{"login", in.HTTPResponse, false})

	me, err := env.Client.GetCurrentUserWithResponse(ctx, apitest.Bearer(in.JSON200.Data.Tokens.AccessToken))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, me.StatusCode(), string(me.Body))
	calls = append(calls, call{"me", me.HTTPResponse, true})

	ref, err := env.Client.RefreshTokensWithResponse(ctx, client.RefreshTokensJSONRequestBody{RefreshToken: in.JSON200.Data.Tokens.RefreshToken})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ref.StatusCode(), string(ref.Body))
	addTokens(ref.JSON200.Data)
	calls = append(calls, call{"refresh", ref.HTTPResponse, false})

	pw, err := env.Client.ChangePasswordWithResponse(ctx, client.ChangePasswordJSONRequestBody{CurrentPassword: firstPassword, NewPassword: secondPassword},
		apitest.Bearer(ref.JSON200.Data.AccessToken))
	require.NoError(t, err)
	require.Less(t, pw.StatusCode(), 300, string(pw.Body))
	calls = append(calls, call{"password change", pw.HTTPResponse, true})

	again, err := env.Client.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(email), Password: secondPassword})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, again.StatusCode(), string(again.Body))
	addTokens(again.JSON200.Data.Tokens)
	calls = append(calls, call{"login with the new password", again.HTTPResponse, false})

	out, err := env.Client.LogoutUserWithResponse(ctx, client.LogoutUserJSONRequestBody{RefreshToken: again.JSON200.Data.Tokens.RefreshToken})
	require.NoError(t, err)
	require.Less(t, out.StatusCode(), 300, string(out.Body))
	calls = append(calls, call{"logout", out.HTTPResponse, false})

	failed, err := env.Client.LoginUserWithResponse(ctx, client.LoginUserJSONRequestBody{Email: client.Email(email), Password: wrongPassword})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, failed.StatusCode(), string(failed.Body))
	calls = append(calls, call{"failed login", failed.HTTPResponse, false})

	stale, err := env.Client.GetCurrentUserWithResponse(ctx, apitest.Bearer(in.JSON200.Data.Tokens.AccessToken+"x"))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, stale.StatusCode(), string(stale.Body))
	calls = append(calls, call{"a tampered token", stale.HTTPResponse, false})

	logs := env.Logs()
	for _, s := range secrets {
		require.NotContains(t, logs, s, "a password or token was logged")
	}
	require.NotContains(t, logs, "Bearer ")
	require.NotContains(t, strings.ToLower(logs), `"authorization"`, "the Authorization header was logged")

	byID := map[string]requestLine{}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		var line requestLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "a log line is not JSON: %s", sc.Text())
		if line.Request == nil || line.Response == nil {
			continue // an event line, not a request line
		}
		require.NotEmpty(t, line.RequestID, sc.Text())
		require.NotEmpty(t, line.Request.Route, sc.Text())
		require.NotEmpty(t, line.Request.IP, sc.Text())
		require.NotZero(t, line.Response.Status, sc.Text())
		require.NotNil(t, line.Response.Latency, sc.Text())
		byID[line.RequestID] = line
	}
	for _, c := range calls {
		id := c.res.Header.Get("X-Request-Id")
		line, ok := byID[id]
		require.True(t, ok, "%s: no request line with requestId %s", c.what, id)
		require.Equal(t, c.res.StatusCode, line.Response.Status, c.what)
		require.Equal(t, c.res.Request.URL.Path, line.Request.Path, c.what)
		require.Equal(t, "127.0.0.1", line.Request.IP, c.what)
		if c.authenticated {
			require.Equal(t, userID, line.UserID, "%s: the request line names no user", c.what)
		} else {
			require.Empty(t, line.UserID, c.what)
		}
	}
	// The events of the flow are their own lines, tied to the request and the user.
	for _, msg := range []string{"login succeeded", "login failed", "password changed"} {
		require.Contains(t, logs, `"msg":"`+msg+`"`)
	}
}
