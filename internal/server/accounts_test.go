package server_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/apitest"
	"github.com/shopfloor/shopfloor/internal/auth"
	"github.com/shopfloor/shopfloor/internal/config"
)

func TestRegisterCreatesANormalizedCustomerAndLogsItIn(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := t.Context()
	before := time.Now().Add(-time.Minute)

	// A raw body, so that the email really reaches the server with its spaces and
	// capitals (the generated client trims addresses itself).
	body := `{"email": "  Ada.Lovelace@Example.COM ", "password": "Correct-Horse-9", "name": "   Ada Lovelace  "}`
	res, err := env.Client.RegisterUserWithBodyWithResponse(ctx, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	require.True(t, bool(res.JSON201.Success))

	user := res.JSON201.Data.User
	require.NotEqual(t, uuid.Nil, user.Id)
	require.Equal(t, "ada.lovelace@example.com", string(user.Email))
	require.Equal(t, "Ada Lovelace", user.Name)
	require.Equal(t, client.Role("customer"), user.Role)
	require.True(t, user.Active)
	require.Equal(t, client.Profile{}, user.Profile, "a new account has an empty profile")
	require.Equal(t, time.UTC, user.CreatedAt.Location())
	require.True(t, user.CreatedAt.After(before) && user.CreatedAt.Before(time.Now().Add(time.Minute)), "createdAt %s", user.CreatedAt)
	require.NotContains(t, string(res.Body), "password", "the response must not mention the password or its hash")

	tokens := res.JSON201.Data.Tokens
	require.Equal(t, client.TokensTokenType("Bearer"), tokens.TokenType)
	require.EqualValues(t, 15*60, tokens.ExpiresIn)
	require.NotEmpty(t, tokens.RefreshToken)
	require.NotEqual(t, tokens.AccessToken, tokens.RefreshToken)
	claims, err := env.Tokens.Verify(tokens.AccessToken, time.Now())
	require.NoError(t, err, "the access token must be a valid token of this server")
	require.Equal(t, user.Id, claims.UserID)
	require.Equal(t, "customer", claims.Role)
	require.WithinDuration(t, time.Now().Add(15*time.Minute), claims.ExpiresAt, time.Minute)

	me := apitest.Me(t, env, tokens.AccessToken)
	require.Equal(t, http.StatusOK, me.StatusCode(), string(me.Body))
	require.Equal(t, user.Id, me.JSON200.Data.Id)
	require.Equal(t, "ada.lovelace@example.com", string(me.JSON200.Data.Email))

	login := apitest.Login(t, env, "ada.lovelace@example.com", apitest.Password)
	require.Equal(t, http.StatusOK, login.StatusCode(), string(login.Body))
	require.Equal(t, user.Id, login.JSON200.Data.User.Id)

	refreshed := apitest.Refresh(t, env, tokens.RefreshToken)
	require.Equal(t, http.StatusOK, refreshed.StatusCode(), string(refreshed.Body))
}

func TestRegisterRefusesAnEmailAlreadyTakenInAnyCase(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first := apitest.Register(t, env, "grace@example.com", apitest.Password, "Grace Hopper")

	for _, tc := range []struct {
		name string
		body string
	}{
		{"the same address is taken", `{"email":"grace@example.com","password":"Correct-Horse-9","name":"Grace Two"}`},
		{"the address in capitals is taken", `{"email":"GRACE@EXAMPLE.COM","password":"Correct-Horse-9","name":"Grace Two"}`},
		{"the address in mixed case with spaces is taken", `{"email":"  Grace@Example.Com ","password":"Other-Pass-1","name":"Grace Two"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := env.Client.RegisterUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			e := apitest.RequireError(t, res, http.StatusConflict, client.EMAILTAKEN)
			apitest.RequireFieldsIn(t, e, client.Body, "email")
		})
	}

	// The first account is untouched: its password still works.
	login := apitest.Login(t, env, "grace@example.com", apitest.Password)
	require.Equal(t, http.StatusOK, login.StatusCode(), string(login.Body))
	require.Equal(t, first.User.Id, login.JSON200.Data.User.Id)
	require.Equal(t, "Grace Hopper", login.JSON200.Data.User.Name)
}

func TestRegisterOfTheSameEmailConcurrentlyCreatesOneAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	const n = 6
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := env.Client.RegisterUserWithResponse(t.Context(), client.RegisterUserJSONRequestBody{
				Email: client.Email("race@example.com"), Password: apitest.Password, Name: "Racer",
			})
			if err == nil {
				statuses[i] = res.StatusCode()
				if res.StatusCode() == http.StatusConflict && res.JSON409.Error.Code != client.EMAILTAKEN {
					statuses[i] = -1
				}
			}
		})
	}
	wg.Wait()
	sort.Ints(statuses)
	require.Equal(t, []int{201, 409, 409, 409, 409, 409}, statuses)
}

func TestRegisterRefusesInvalidInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	long := strings.Repeat("x", 51)
	for _, tc := range []struct {
		name   string
		body   string
		code   client.ErrorCode
		fields []string
		// messages holds, per field, substrings that its messages must contain.
		messages map[string][]string
	}{
		{
			name: "a password without an uppercase letter is refused",
			body: `{"email":"a@example.com","password":"correct-horse-9","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"password"},
			messages: map[string][]string{"password": {"uppercase"}},
		},
		{
			name: "a password without a digit is refused",
			body: `{"email":"a@example.com","password":"Correct-Horse","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"password"},
			messages: map[string][]string{"password": {"digit"}},
		},
		{
			name: "a password shorter than eight characters is refused",
			body: `{"email":"a@example.com","password":"Ab1","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"password"},
			messages: map[string][]string{"password": {"8"}},
		},
		{
			name: "a password with neither uppercase nor digit gets both problems",
			body: `{"email":"a@example.com","password":"correcthorse","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"password"},
			messages: map[string][]string{"password": {"uppercase", "digit"}},
		},
		{
			name: "a password longer than 72 bytes is refused",
			body: `{"email":"a@example.com","password":"A1` + strings.Repeat("x", 71) + `","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"password"},
		},
		{
			name: "a password of few characters but more than 72 bytes is refused",
			body: `{"email":"a@example.com","password":"A1` + strings.Repeat("é", 40) + `","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"password"},
			messages: map[string][]string{"password": {"72"}},
		},
		{
			name: "a name of one letter between spaces is refused after trimming",
			body: `{"email":"a@example.com","password":"Correct-Horse-9","name":"  a  "}`,
			code: client.VALIDATIONERROR, fields: []string{"name"},
		},
		{
			name: "a name of only spaces is refused",
			body: `{"email":"a@example.com","password":"Correct-Horse-9","name":"      "}`,
			code: client.VALIDATIONERROR, fields: []string{"name"},
		},
		{
			name: "a name of 51 characters is refused",
			body: `{"email":"a@example.com","password":"Correct-Horse-9","name":"` + long + `"}`,
			code: client.VALIDATIONERROR, fields: []string{"name"},
		},
		{
			name: "an address that is not an email is refused",
			body: `{"email":"not-an-email","password":"Correct-Horse-9","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"email"},
		},
		{
			name: "an email with a display name is refused",
			body: `{"email":"Ada <ada@example.com>","password":"Correct-Horse-9","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"email"},
		},
		{
			name: "a missing name is reported as required",
			body: `{"email":"a@example.com","password":"Correct-Horse-9"}`,
			code: client.VALIDATIONERROR, fields: []string{"name"},
			messages: map[string][]string{"name": {"required"}},
		},
		{
			name: "a name of the wrong type is refused",
			body: `{"email":"a@example.com","password":"Correct-Horse-9","name":42}`,
			code: client.VALIDATIONERROR, fields: []string{"name"},
		},
		{
			name: "several schema problems are all listed at once",
			body: `{"email":"nope","password":"short","name":"A"}`,
			code: client.VALIDATIONERROR, fields: []string{"email", "name", "password"},
		},
		{
			name: "a short trimmed name and a weak password are both listed",
			body: `{"email":"a@example.com","password":"correcthorse","name":"  a  "}`,
			code: client.VALIDATIONERROR, fields: []string{"name", "password"},
			messages: map[string][]string{"password": {"uppercase", "digit"}},
		},
		{
			name: "a bad email, a short trimmed name and a weak password are all listed",
			body: `{"email":"nope","password":"correcthorse","name":"  a  "}`,
			code: client.VALIDATIONERROR, fields: []string{"email", "name", "password"},
		},
		{
			name: "every missing field is listed",
			body: `{}`,
			code: client.VALIDATIONERROR, fields: []string{"email", "name", "password"},
		},
		{
			name: "an unknown field is refused by name",
			body: `{"email":"a@example.com","password":"Correct-Horse-9","name":"Ada","role":"admin"}`,
			code: client.UNKNOWNFIELD, fields: []string{"role"},
		},
		{
			name: "a field in the wrong case is unknown, and the real one missing",
			body: `{"Email":"a@example.com","password":"Correct-Horse-9","name":"Ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"Email", "email"},
		},
		{
			name: "an unknown field next to a bad value is listed with it",
			body: `{"email":"nope","password":"Correct-Horse-9","name":"Ada","nickname":"ada"}`,
			code: client.VALIDATIONERROR, fields: []string{"email", "nickname"},
		},
		{
			name: "a body that is an array is refused",
			body: `[]`,
			code: client.VALIDATIONERROR, fields: []string{"body"},
		},
		{
			name: "an empty body is refused as missing",
			body: ``,
			code: client.VALIDATIONERROR, fields: []string{"body"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := env.Client.RegisterUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			e := apitest.RequireError(t, res, http.StatusBadRequest, tc.code)
			apitest.RequireFieldsIn(t, e, client.Body, tc.fields...)
			for field, wants := range tc.messages {
				joined := strings.Join(apitest.DetailMessages(e, field), " | ")
				for _, want := range wants {
					require.Contains(t, joined, want, "messages of %s", field)
				}
			}
		})
	}

	// Nothing above created an account.
	staff := env.CreateUser(apitest.UserOpts{Role: "staff"})
	list, err := env.Client.ListUsersWithResponse(t.Context(), &client.ListUsersParams{}, staff.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
	require.EqualValues(t, 1, list.JSON200.Pagination.Total, "only the staff member exists")
}

func TestRegisterRefusesUnreadableBodies(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		status      int
		code        client.ErrorCode
	}{
		{"truncated JSON is a bad request", "application/json", `{"email":"a@example.com",`, 400, client.BADREQUEST},
		{"single-quoted JSON is a bad request", "application/json", `{'email':'a@example.com'}`, 400, client.BADREQUEST},
		{"plain text sent as JSON is a bad request", "application/json", `email=a@example.com`, 400, client.BADREQUEST},
		{"JSON followed by garbage is a bad request", "application/json", `{"email":"a@example.com","password":"Correct-Horse-9","name":"Ada"} trailing`, 400, client.BADREQUEST},
		{"two JSON documents are a bad request", "application/json", `{"email":"a@example.com","password":"Correct-Horse-9","name":"Ada"}{}`, 400, client.BADREQUEST},
		{"a plain-text content type is unsupported", "text/plain", `{"email":"a@example.com","password":"Correct-Horse-9","name":"Ada"}`, 415, client.UNSUPPORTEDMEDIATYPE},
		{"a form content type is unsupported", "application/x-www-form-urlencoded", `email=a%40example.com`, 415, client.UNSUPPORTEDMEDIATYPE},
		{"a missing content type is unsupported", "", `{"email":"a@example.com","password":"Correct-Horse-9","name":"Ada"}`, 415, client.UNSUPPORTEDMEDIATYPE},
		{"a JSON-like but different content type is unsupported", "application/json-patch+json", `{"email":"a@example.com","password":"Correct-Horse-9","name":"Ada"}`, 415, client.UNSUPPORTEDMEDIATYPE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := env.Do(http.MethodPost, "/api/v1/auth/register", tc.contentType, []byte(tc.body))
			apitest.RequireRawError(t, res, body, tc.status, tc.code)
		})
	}

	t.Run("JSON with a charset parameter is accepted", func(t *testing.T) {
		res, err := env.Client.RegisterUserWithBodyWithResponse(t.Context(), "application/json; charset=utf-8",
			strings.NewReader(`{"email":"charset@example.com","password":"Correct-Horse-9","name":"Ada"}`))
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		require.Equal(t, "charset@example.com", string(res.JSON201.Data.User.Email))
	})
}

// chunkedReader hides a reader's length so the request is sent chunked, without a
// Content-Length the server could check up front.
type chunkedReader struct{ r io.Reader }

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestRequestBodiesOverTheLimitAreRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *config.Config) { c.BodyLimitBytes = 2048 })
	big := `{"email":"big@example.com","password":"Correct-Horse-9","name":"` + strings.Repeat("x", 3000) + `"}`
	small := `{"email":"big@example.com","password":"Correct-Horse-9","name":"` + strings.Repeat("x", 1500) + `"}`

	t.Run("a body with a Content-Length over the limit is too large", func(t *testing.T) {
		res, err := env.Client.RegisterUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(big))
		require.NoError(t, err)
		e := apitest.RequireError(t, res, http.StatusRequestEntityTooLarge, client.PAYLOADTOOLARGE)
		require.Contains(t, e.Message, "2048")
	})
	t.Run("a chunked body over the limit is too large", func(t *testing.T) {
		res, err := env.Client.RegisterUserWithBodyWithResponse(t.Context(), "application/json", chunkedReader{strings.NewReader(big)})
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusRequestEntityTooLarge, client.PAYLOADTOOLARGE)
	})
	t.Run("a body over the limit is too large on an authenticated operation too", func(t *testing.T) {
		u := env.CreateUser(apitest.UserOpts{})
		res, err := env.Client.ReplaceUserProfileWithBodyWithResponse(t.Context(), u.ID, "application/json",
			strings.NewReader(`{"company":"`+strings.Repeat("x", 3000)+`"}`), u.Auth())
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusRequestEntityTooLarge, client.PAYLOADTOOLARGE)
	})
	t.Run("a body under the limit reaches validation", func(t *testing.T) {
		res, err := env.Client.RegisterUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(small))
		require.NoError(t, err)
		e := apitest.RequireError(t, res, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireFieldsIn(t, e, client.Body, "name")
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	reg := apitest.Register(t, env, "linus@example.com", apitest.Password, "Linus")

	t.Run("the right password logs in and issues working tokens", func(t *testing.T) {
		res := apitest.Login(t, env, "linus@example.com", apitest.Password)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		data := res.JSON200.Data
		require.Equal(t, reg.User.Id, data.User.Id)
		require.Equal(t, "linus@example.com", string(data.User.Email))
		require.Equal(t, client.Role("customer"), data.User.Role)
		require.Equal(t, client.TokensTokenType("Bearer"), data.Tokens.TokenType)
		require.EqualValues(t, 900, data.Tokens.ExpiresIn)
		require.NotEqual(t, reg.Tokens.RefreshToken, data.Tokens.RefreshToken)
		me := apitest.Me(t, env, data.Tokens.AccessToken)
		require.Equal(t, http.StatusOK, me.StatusCode(), string(me.Body))
		require.Equal(t, reg.User.Id, me.JSON200.Data.Id)
	})
	t.Run("the email is matched regardless of case and surrounding spaces", func(t *testing.T) {
		res, err := env.Client.LoginUserWithBodyWithResponse(t.Context(), "application/json",
			strings.NewReader(`{"email":"  LINUS@Example.com ","password":"Correct-Horse-9"}`))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, reg.User.Id, res.JSON200.Data.User.Id)
	})
	t.Run("the password is case-sensitive", func(t *testing.T) {
		res := apitest.Login(t, env, "linus@example.com", strings.ToLower(apitest.Password))
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("a wrong password and an unknown email get the same answer", func(t *testing.T) {
		wrong := apitest.Login(t, env, "linus@example.com", "Wrong-Password-1")
		unknown := apitest.Login(t, env, "nobody@example.com", apitest.Password)
		a := apitest.RequireError(t, wrong, http.StatusUnauthorized, client.UNAUTHENTICATED)
		b := apitest.RequireError(t, unknown, http.StatusUnauthorized, client.UNAUTHENTICATED)
		require.Equal(t, a.Message, b.Message)
		require.Equal(t, a.Details, b.Details)
		require.Equal(t, wrong.HTTPResponse.Header.Get("Content-Type"), unknown.HTTPResponse.Header.Get("Content-Type"))
	})
	for _, tc := range []struct {
		name   string
		body   string
		code   client.ErrorCode
		fields []string
	}{
		{"a missing password is refused", `{"email":"linus@example.com"}`, client.VALIDATIONERROR, []string{"password"}},
		{"an empty password is refused", `{"email":"linus@example.com","password":""}`, client.VALIDATIONERROR, []string{"password"}},
		{"an invalid email is refused", `{"email":"linus","password":"Correct-Horse-9"}`, client.VALIDATIONERROR, []string{"email"}},
		{"an unknown field is refused by name", `{"email":"linus@example.com","password":"Correct-Horse-9","remember":true}`, client.UNKNOWNFIELD, []string{"remember"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := env.Client.LoginUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			e := apitest.RequireError(t, res, http.StatusBadRequest, tc.code)
			apitest.RequireFieldsIn(t, e, client.Body, tc.fields...)
		})
	}
	t.Run("a wrong content type is unsupported", func(t *testing.T) {
		res, err := env.Client.LoginUserWithBodyWithResponse(t.Context(), "text/plain",
			strings.NewReader(`{"email":"linus@example.com","password":"Correct-Horse-9"}`))
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnsupportedMediaType, client.UNSUPPORTEDMEDIATYPE)
	})
	t.Run("malformed JSON is a bad request", func(t *testing.T) {
		res, err := env.Client.LoginUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(`{"email":`))
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusBadRequest, client.BADREQUEST)
	})
}

func TestLoginAndRefreshOfADeactivatedAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	reg := apitest.Register(t, env, "gone@example.com", apitest.Password, "Gone Soon")
	// Deactivated behind the API's back, so that no token is revoked and only the
	// active flag can stop the refresh below.
	apitest.DeactivateInDB(t, env, reg.User.Id)

	t.Run("the right password gets 403", func(t *testing.T) {
		res := apitest.Login(t, env, "gone@example.com", apitest.Password)
		apitest.RequireError(t, res, http.StatusForbidden, client.FORBIDDEN)
	})
	t.Run("a wrong password still gets 401, revealing nothing", func(t *testing.T) {
		res := apitest.Login(t, env, "gone@example.com", "Wrong-Password-1")
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("a refresh token issued before cannot be used", func(t *testing.T) {
		apitest.RequireRefreshRefused(t, env, reg.Tokens.RefreshToken)
	})
	t.Run("the still unexpired access token no longer reads the caller", func(t *testing.T) {
		res := apitest.Me(t, env, reg.Tokens.AccessToken)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
}

func TestAccessTokensThatAreNotValidAreRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	u := env.CreateUser(apitest.UserOpts{})
	now := time.Now()
	secret := []byte(apitest.TestJWTSecret)
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"sub":  u.ID.String(),
			"role": "customer",
			"iss":  env.Config.JWTIssuer,
			"aud":  env.Config.JWTAudience,
			"iat":  now.Unix(),
			"exp":  now.Add(10 * time.Minute).Unix(),
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	expired, _, err := env.Tokens.Issue(u.ID, "customer", now.Add(-time.Hour))
	require.NoError(t, err)
	parts := strings.Split(u.Token, ".")
	require.Len(t, parts, 3)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	sig[0] ^= 0xff
	tamperedSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	adminPayload := strings.Replace(string(payload), `"role":"customer"`, `"role":"admin"`, 1)
	require.NotEqual(t, string(payload), adminPayload)
	tamperedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(adminPayload)) + "." + parts[2]
	none := apitest.SignToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))

	for _, tc := range []struct {
		name          string
		authorization string
		status        int
		message       string // a substring of the error message, when it matters
	}{
		{name: "a token made by hand with the server's secret and HS256 is accepted", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(nil)), status: 200},
		{name: "a lowercase bearer scheme is accepted", authorization: "bearer " + u.Token, status: 200},
		{name: "a missing Authorization header is refused", authorization: "", status: 401},
		{name: "a Basic scheme is refused", authorization: "Basic dXNlcjpwYXNz", status: 401},
		{name: "a bearer scheme without a token is refused", authorization: "Bearer ", status: 401},
		{name: "a token without the scheme is refused", authorization: u.Token, status: 401},
		{name: "garbage is refused", authorization: "Bearer not-a-jwt", status: 401},
		{name: "an expired token is refused as expired", authorization: "Bearer " + expired, status: 401, message: "expired"},
		{name: "a token with a tampered signature is refused", authorization: "Bearer " + tamperedSig, status: 401},
		{name: "a token whose payload was changed to admin is refused", authorization: "Bearer " + tamperedPayload, status: 401},
		{name: "a token signed with HS512 and the right secret is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS512, secret, claims(nil)), status: 401},
		{name: "a token with algorithm none is refused", authorization: "Bearer " + none, status: 401},
		{name: "a token with algorithm none and no signature part is refused", authorization: "Bearer " + strings.TrimSuffix(none, "."), status: 401},
		{name: "a token signed with another secret is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, []byte(strings.Repeat("k", 40)), claims(nil)), status: 401},
		{name: "a token from another issuer is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["iss"] = "someone-else" })), status: 401},
		{name: "a token for another audience is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["aud"] = "another-api" })), status: 401},
		{name: "a token without an expiry is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "exp") })), status: 401},
		{name: "a token with an unknown role is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["role"] = "root" })), status: 401},
		{name: "a token whose subject is not a UUID is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["sub"] = "42" })), status: 401},
		{name: "a token issued in the future is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix(); c["exp"] = now.Add(2 * time.Hour).Unix() })), status: 401},
		{name: "a token for a user that does not exist is refused", authorization: "Bearer " + apitest.SignToken(t, jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["sub"] = uuid.NewString() })), status: 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := env.Client.GetCurrentUserWithResponse(t.Context(), func(_ context.Context, req *http.Request) error {
				if tc.authorization != "" {
					req.Header.Set("Authorization", tc.authorization)
				}
				return nil
			})
			require.NoError(t, err)
			if tc.status == http.StatusOK {
				require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
				require.Equal(t, u.ID, res.JSON200.Data.Id)
				return
			}
			e := apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
			if tc.message != "" {
				require.Contains(t, e.Message, tc.message)
			}
		})
	}
}

func TestRefreshTokensRotateAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	reg := apitest.Register(t, env, "rota@example.com", apitest.Password, "Rota")
	other := apitest.Login(t, env, "rota@example.com", apitest.Password) // a second, independent session
	require.Equal(t, http.StatusOK, other.StatusCode(), string(other.Body))

	r0 := reg.Tokens.RefreshToken
	first := apitest.Refresh(t, env, r0)
	require.Equal(t, http.StatusOK, first.StatusCode(), string(first.Body))
	r1 := first.JSON200.Data.RefreshToken
	require.NotEqual(t, r0, r1, "a refresh must return a new refresh token")
	require.Equal(t, client.TokensTokenType("Bearer"), first.JSON200.Data.TokenType)
	me := apitest.Me(t, env, first.JSON200.Data.AccessToken)
	require.Equal(t, http.StatusOK, me.StatusCode(), string(me.Body))
	require.Equal(t, reg.User.Id, me.JSON200.Data.Id)

	second := apitest.Refresh(t, env, r1)
	require.Equal(t, http.StatusOK, second.StatusCode(), string(second.Body))
	r2 := second.JSON200.Data.RefreshToken
	require.NotEqual(t, r1, r2)

	// r0 was spent: presenting it again is reuse, refused, and it revokes the
	// family, so r2 (never used) stops working too.
	apitest.RequireRefreshRefused(t, env, r0)
	apitest.RequireRefreshRefused(t, env, r2)
	apitest.RequireRefreshRefused(t, env, r1)

	// The other session is another family and keeps working.
	o := apitest.Refresh(t, env, other.JSON200.Data.Tokens.RefreshToken)
	require.Equal(t, http.StatusOK, o.StatusCode(), string(o.Body))
}

func TestRefreshOfTheSameTokenConcurrentlySucceedsOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	reg := apitest.Register(t, env, "twice@example.com", apitest.Password, "Twice")
	const n = 5
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := env.Client.RefreshTokensWithResponse(t.Context(), client.RefreshTokensJSONRequestBody{RefreshToken: reg.Tokens.RefreshToken})
			if err == nil {
				statuses[i] = res.StatusCode()
			}
		})
	}
	wg.Wait()
	sort.Ints(statuses)
	require.Equal(t, []int{200, 401, 401, 401, 401}, statuses)
}

func TestRefreshRefusesBadTokens(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	reg := apitest.Register(t, env, "old@example.com", apitest.Password, "Old Timer")

	t.Run("an unknown token is refused", func(t *testing.T) {
		apitest.RequireRefreshRefused(t, env, "this-token-was-never-issued")
	})
	t.Run("an access token is not a refresh token", func(t *testing.T) {
		apitest.RequireRefreshRefused(t, env, reg.Tokens.AccessToken[:200])
	})
	t.Run("an expired token is refused", func(t *testing.T) {
		login := apitest.Login(t, env, "old@example.com", apitest.Password)
		require.Equal(t, http.StatusOK, login.StatusCode(), string(login.Body))
		_, err := env.Pool.Exec(t.Context(), `UPDATE refresh_tokens
			SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
			WHERE token_hash = $1`, auth.HashRefreshToken(login.JSON200.Data.Tokens.RefreshToken))
		require.NoError(t, err)
		apitest.RequireRefreshRefused(t, env, login.JSON200.Data.Tokens.RefreshToken)
	})
	for _, tc := range []struct {
		name   string
		body   string
		code   client.ErrorCode
		fields []string
	}{
		{"a missing token is refused", `{}`, client.VALIDATIONERROR, []string{"refreshToken"}},
		{"an empty token is refused", `{"refreshToken":""}`, client.VALIDATIONERROR, []string{"refreshToken"}},
		{"a token of the wrong type is refused", `{"refreshToken":123}`, client.VALIDATIONERROR, []string{"refreshToken"}},
		{"a token over 200 characters is refused", `{"refreshToken":"` + strings.Repeat("r", 201) + `"}`, client.VALIDATIONERROR, []string{"refreshToken"}},
		{"an unknown field is refused by name", `{"refreshToken":"x","userId":"1"}`, client.UNKNOWNFIELD, []string{"userId"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := env.Client.RefreshTokensWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(tc.body))
			require.NoError(t, err)
			e := apitest.RequireError(t, res, http.StatusBadRequest, tc.code)
			apitest.RequireFieldsIn(t, e, client.Body, tc.fields...)
		})
	}
	t.Run("the untouched token of this test still works", func(t *testing.T) {
		res := apitest.Refresh(t, env, reg.Tokens.RefreshToken)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	})
}

func TestRefreshReflectsARoleChange(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.CreateUser(apitest.UserOpts{Role: "admin"})
	reg := apitest.Register(t, env, "promoted@example.com", apitest.Password, "Promoted")

	list, err := env.Client.ListUsersWithResponse(t.Context(), nil, apitest.Bearer(reg.Tokens.AccessToken))
	require.NoError(t, err)
	apitest.RequireError(t, list, http.StatusForbidden, client.FORBIDDEN)

	staff := client.Role("staff")
	up, err := env.Client.UpdateUserWithResponse(t.Context(), reg.User.Id, client.UpdateUserJSONRequestBody{Role: &staff}, admin.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, up.StatusCode(), string(up.Body))

	res := apitest.Refresh(t, env, reg.Tokens.RefreshToken)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	claims, err := env.Tokens.Verify(res.JSON200.Data.AccessToken, time.Now())
	require.NoError(t, err)
	require.Equal(t, "staff", claims.Role)
	list, err = env.Client.ListUsersWithResponse(t.Context(), nil, apitest.Bearer(res.JSON200.Data.AccessToken))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), string(list.Body))
}

func TestLogout(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	reg := apitest.Register(t, env, "bye@example.com", apitest.Password, "Bye")
	keep := apitest.Login(t, env, "bye@example.com", apitest.Password)
	require.Equal(t, http.StatusOK, keep.StatusCode(), string(keep.Body))
	logout := func(t *testing.T, token string) {
		t.Helper()
		res, err := env.Client.LogoutUserWithResponse(t.Context(), client.LogoutUserJSONRequestBody{RefreshToken: token})
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
		require.Empty(t, res.Body)
	}

	t.Run("logging out revokes the refresh token", func(t *testing.T) {
		logout(t, reg.Tokens.RefreshToken)
		apitest.RequireRefreshRefused(t, env, reg.Tokens.RefreshToken)
	})
	t.Run("logging out twice is harmless", func(t *testing.T) {
		logout(t, reg.Tokens.RefreshToken)
	})
	t.Run("logging out an unknown token answers 204", func(t *testing.T) {
		logout(t, "never-issued-token")
	})
	t.Run("another session is not logged out", func(t *testing.T) {
		res := apitest.Refresh(t, env, keep.JSON200.Data.Tokens.RefreshToken)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	})
	t.Run("an empty token is refused", func(t *testing.T) {
		res, err := env.Client.LogoutUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(`{"refreshToken":""}`))
		require.NoError(t, err)
		e := apitest.RequireError(t, res, http.StatusBadRequest, client.VALIDATIONERROR)
		apitest.RequireFieldsIn(t, e, client.Body, "refreshToken")
	})
	t.Run("malformed JSON is a bad request", func(t *testing.T) {
		res, err := env.Client.LogoutUserWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(`{"refreshToken"`))
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusBadRequest, client.BADREQUEST)
	})
	t.Run("a wrong content type is unsupported", func(t *testing.T) {
		res, err := env.Client.LogoutUserWithBodyWithResponse(t.Context(), "text/plain", strings.NewReader(`{"refreshToken":"x"}`))
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnsupportedMediaType, client.UNSUPPORTEDMEDIATYPE)
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	reg := apitest.Register(t, env, "pat@example.com", apitest.Password, "Pat")
	sessionB := apitest.Login(t, env, "pat@example.com", apitest.Password)
	require.Equal(t, http.StatusOK, sessionB.StatusCode(), string(sessionB.Body))
	access := reg.Tokens.AccessToken
	const newPassword = "Brand-New-Pass-7"

	change := func(t *testing.T, token, body string) *client.ChangePasswordResponse {
		t.Helper()
		res, err := env.Client.ChangePasswordWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(body), apitest.Bearer(token))
		require.NoError(t, err)
		return res
	}

	t.Run("a wrong current password is refused", func(t *testing.T) {
		res := change(t, access, `{"currentPassword":"Wrong-Password-1","newPassword":"`+newPassword+`"}`)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	for _, tc := range []struct {
		name   string
		body   string
		code   client.ErrorCode
		fields []string
		msg    string
	}{
		{"a new password without an uppercase letter is refused", `{"currentPassword":"Correct-Horse-9","newPassword":"brand-new-pass-7"}`, client.VALIDATIONERROR, []string{"newPassword"}, "uppercase"},
		{"a new password without a digit is refused", `{"currentPassword":"Correct-Horse-9","newPassword":"Brand-New-Pass"}`, client.VALIDATIONERROR, []string{"newPassword"}, "digit"},
		{"a new password that is too short is refused", `{"currentPassword":"Correct-Horse-9","newPassword":"Ab1"}`, client.VALIDATIONERROR, []string{"newPassword"}, "8"},
		{"missing fields are all listed", `{}`, client.VALIDATIONERROR, []string{"currentPassword", "newPassword"}, ""},
		{"an unknown field is refused by name", `{"currentPassword":"Correct-Horse-9","newPassword":"Brand-New-Pass-7","confirm":"x"}`, client.UNKNOWNFIELD, []string{"confirm"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := change(t, access, tc.body)
			e := apitest.RequireError(t, res, http.StatusBadRequest, tc.code)
			apitest.RequireFieldsIn(t, e, client.Body, tc.fields...)
			if tc.msg != "" {
				require.Contains(t, strings.Join(apitest.DetailMessages(e, tc.fields[0]), " | "), tc.msg)
			}
		})
	}
	t.Run("without an access token the change is refused", func(t *testing.T) {
		res, err := env.Client.ChangePasswordWithResponse(t.Context(), client.ChangePasswordJSONRequestBody{
			CurrentPassword: apitest.Password, NewPassword: newPassword,
		})
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})

	// Nothing above changed the password.
	sessionC := apitest.Login(t, env, "pat@example.com", apitest.Password)
	require.Equal(t, http.StatusOK, sessionC.StatusCode(), string(sessionC.Body))

	res, err := env.Client.ChangePasswordWithResponse(t.Context(), client.ChangePasswordJSONRequestBody{
		CurrentPassword: apitest.Password, NewPassword: newPassword,
	}, apitest.Bearer(access))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))

	t.Run("the old password no longer logs in", func(t *testing.T) {
		res := apitest.Login(t, env, "pat@example.com", apitest.Password)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
	t.Run("the new password logs in", func(t *testing.T) {
		res := apitest.Login(t, env, "pat@example.com", newPassword)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		require.Equal(t, reg.User.Id, res.JSON200.Data.User.Id)
	})
	t.Run("every refresh token issued before is refused", func(t *testing.T) {
		for _, token := range []string{reg.Tokens.RefreshToken, sessionB.JSON200.Data.Tokens.RefreshToken, sessionC.JSON200.Data.Tokens.RefreshToken} {
			apitest.RequireRefreshRefused(t, env, token)
		}
	})
	t.Run("the access token in use stays valid until it expires", func(t *testing.T) {
		me := apitest.Me(t, env, access)
		require.Equal(t, http.StatusOK, me.StatusCode(), string(me.Body))
	})
}

func TestCurrentUser(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	u := env.CreateUser(apitest.UserOpts{Email: "Me@Example.com", Name: "Mona Me", Role: "staff"})
	country, city := "FR", "Paris"
	put, err := env.Client.ReplaceUserProfileWithResponse(t.Context(), u.ID, client.ReplaceUserProfileJSONRequestBody{Country: &country, City: &city}, u.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, put.StatusCode(), string(put.Body))

	t.Run("the caller is returned with the profile", func(t *testing.T) {
		res := apitest.Me(t, env, u.Token)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		d := res.JSON200.Data
		require.Equal(t, u.ID, d.Id)
		require.Equal(t, "me@example.com", string(d.Email))
		require.Equal(t, "Mona Me", d.Name)
		require.Equal(t, client.Role("staff"), d.Role)
		require.Equal(t, &country, d.Profile.Country)
		require.Equal(t, &city, d.Profile.City)
		require.Nil(t, d.Profile.Phone)
		require.NotNil(t, d.Profile.UpdatedAt)
	})
	t.Run("without a token the caller is unknown", func(t *testing.T) {
		res, err := env.Client.GetCurrentUserWithResponse(t.Context())
		require.NoError(t, err)
		apitest.RequireError(t, res, http.StatusUnauthorized, client.UNAUTHENTICATED)
	})
}

func TestDatabaseUnreachableAnswers503(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *config.Config) {
		c.DatabaseURL = "postgres://nobody@127.0.0.1:1/nowhere?sslmode=disable"
		c.DBConnectTimeout = time.Second
	})
	ctx := t.Context()

	health, err := env.Client.GetHealthWithResponse(ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, health.StatusCode(), "liveness does not depend on the database")

	ready, err := env.Client.GetReadinessWithResponse(ctx)
	require.NoError(t, err)
	e := apitest.RequireError(t, ready, http.StatusServiceUnavailable, client.SERVICEUNAVAILABLE)
	require.NotContains(t, e.Message, "127.0.0.1")

	login := apitest.Login(t, env, "a@example.com", apitest.Password)
	apitest.RequireError(t, login, http.StatusServiceUnavailable, client.SERVICEUNAVAILABLE)
	require.NotContains(t, string(login.Body), "127.0.0.1")
	require.NotContains(t, string(login.Body), "dial")

	reg, err := env.Client.RegisterUserWithResponse(ctx, client.RegisterUserJSONRequestBody{Email: "a@example.com", Password: apitest.Password, Name: "Ada"})
	require.NoError(t, err)
	apitest.RequireError(t, reg, http.StatusServiceUnavailable, client.SERVICEUNAVAILABLE)
	require.Contains(t, env.Logs(), `"status":503`, "the cause of a 5xx is logged")
}
