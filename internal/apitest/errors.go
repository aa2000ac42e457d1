package apitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/client"
)

// Response is what every generated *…Response of the client offers, so that one
// assertion serves the answers of every operation.
type Response interface {
	StatusCode() int
	GetBody() []byte
}

// RequireError asserts an error answer received through the generated client: its
// status; that the client decoded it as that status's error envelope (when the
// operation declares the status, as the checking transport insists); and that the
// body is the envelope with the given code, a message, a request id and no stack.
// It returns the error body for the test's own checks.
func RequireError(t testing.TB, res Response, status int, code client.ErrorCode) client.ErrorBody {
	t.Helper()
	require.Equal(t, status, res.StatusCode(), string(res.GetBody()))
	if typed := reflect.ValueOf(res).MethodByName(fmt.Sprintf("GetJSON%d", status)); typed.IsValid() {
		require.False(t, typed.Call(nil)[0].IsNil(), "the %d response was not decoded as the error envelope: %s", status, res.GetBody())
	}
	return requireEnvelope(t, res.GetBody(), code)
}

// RequireRawError is RequireError for a raw answer (env.Do, env.HTTP), which also
// shows that the envelope quotes the X-Request-Id header.
func RequireRawError(t testing.TB, res *http.Response, body []byte, status int, code client.ErrorCode) client.ErrorBody {
	t.Helper()
	require.Equal(t, status, res.StatusCode, string(body))
	e := requireEnvelope(t, body, code)
	require.Equal(t, res.Header.Get("X-Request-Id"), e.RequestId)
	return e
}

// requireEnvelope decodes the error envelope and checks what every one must carry.
func requireEnvelope(t testing.TB, body []byte, code client.ErrorCode) client.ErrorBody {
	t.Helper()
	var env client.ErrorEnvelope
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	require.False(t, bool(env.Success), string(body))
	require.Equal(t, code, env.Error.Code, string(body))
	require.NotEmpty(t, env.Error.Message)
	require.NotEmpty(t, env.Error.RequestId)
	require.Nil(t, env.Error.Stack, "a stack appeared outside development")
	return env.Error
}

// DetailFields returns the distinct fields an error's details name, sorted, so that a
// test compares them without depending on the order the validator found them in.
func DetailFields(e client.ErrorBody) []string {
	var fields []string
	for _, d := range details(e) {
		if !slices.Contains(fields, d.Field) {
			fields = append(fields, d.Field)
		}
	}
	sort.Strings(fields)
	return fields
}

// DetailMessages returns the messages of every detail about field, in order.
func DetailMessages(e client.ErrorBody, field string) []string {
	var msgs []string
	for _, d := range details(e) {
		if d.Field == field {
			msgs = append(msgs, d.Message)
		}
	}
	return msgs
}

// DetailMessage returns the message of the first detail about field, which must exist.
func DetailMessage(t testing.TB, e client.ErrorBody, field string) string {
	t.Helper()
	msgs := DetailMessages(e, field)
	require.NotEmpty(t, msgs, "no detail about %s in %+v", field, details(e))
	return msgs[0]
}

// RequireDetails asserts that the error's details name exactly the given
// "location field" pairs (in any order), each with a message.
func RequireDetails(t testing.TB, e client.ErrorBody, want ...string) {
	t.Helper()
	var got []string
	for _, d := range details(e) {
		require.NotEmpty(t, d.Message, "detail %s has no message", d.Field)
		if key := string(d.Location) + " " + d.Field; !slices.Contains(got, key) {
			got = append(got, key)
		}
	}
	want = slices.Clone(want)
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 {
		require.Empty(t, got, "details: %+v", e.Details)
		return
	}
	require.Equal(t, want, got, "details: %+v", e.Details)
}

// RequireFieldsIn is RequireDetails for problems that all sit in one location.
func RequireFieldsIn(t testing.TB, e client.ErrorBody, location client.ErrorDetailLocation, fields ...string) {
	t.Helper()
	want := make([]string, len(fields))
	for i, f := range fields {
		want[i] = string(location) + " " + f
	}
	RequireDetails(t, e, want...)
}

func details(e client.ErrorBody) []client.ErrorDetail {
	if e.Details == nil {
		return nil
	}
	return *e.Details
}
