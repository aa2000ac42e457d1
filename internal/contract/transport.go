package contract

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/shopfloor/shopfloor/internal/speccheck"
)

// seen is what the checking transport learnt of the last response: what the spec
// says of it, and the error code of an envelope, for messages.
type seen struct {
	method string
	result speccheck.Result
	code   string // error.code of an error envelope
}

// checkingTransport holds every response against the embedded spec before the
// generated client decodes it, and keeps the verdict on the last one for the step
// that made it. The runner makes one request at a time, so one slot is enough.
type checkingTransport struct {
	next http.RoundTripper
	last *seen
}

func (ct *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ct.last = nil
	res, err := ct.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	body, err := speccheck.ReadBody(res)
	if err != nil {
		return nil, err
	}
	s := &seen{method: req.Method, result: speccheck.Check(req, res.StatusCode, res.Header, body)}
	s.result.Problem = brief(s.result.Problem)
	if res.StatusCode >= 400 {
		var envelope struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(body, &envelope) == nil && envelope.Error.Code != "" {
			s.code = envelope.Error.Code + ": " + envelope.Error.Message
		}
	}
	ct.last = s
	return res, nil
}

// brief keeps what kin-openapi says is wrong and where ("Error at "/data/sku":
// property "sku" is missing"), without the schema and value it prints after each
// finding: a CI log wants the field, not the whole document.
func brief(problem string) string {
	var out []string
	skipping := false
	for _, line := range strings.Split(problem, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "Schema:" || trimmed == "Value:":
			skipping = true
		case skipping && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") || trimmed == ""):
		default:
			skipping = false
			if trimmed != "" {
				out = append(out, trimmed)
			}
		}
	}
	return strings.Join(out, "; ")
}
