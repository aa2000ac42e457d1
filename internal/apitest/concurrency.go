package apitest

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/shopfloor/shopfloor/client"
	"github.com/shopfloor/shopfloor/internal/config"
)

// PatientPool lets requests wait longer for a database connection than the 2 s
// default, and a statement longer than the 5 s statement timeout. Under -race on a
// small machine, with other tests running, a hundred requests queued behind one
// locked product row can wait longer than that (the wait for the row lock counts
// towards the statement's time), and the server rightly sheds them with 503; the tests
// that use it are about stock, not load shedding.
func PatientPool(c *config.Config) {
	c.DBAcquireTimeout = 30 * time.Second
	c.DBStatementTimeout = 30 * time.Second
}

// Outcome is what one of many concurrent requests got back, kept to be checked once
// they are all done (a goroutine other than the test's must not fail it).
type Outcome struct {
	Kind   string // what the request did, where a test mixes them ("place", "cancel")
	Status int
	Code   client.ErrorCode
	Body   []byte
	Err    error
}

// OutcomeOf records a response of the generated client, with the error code of an
// error envelope.
func OutcomeOf(res Response, err error) Outcome {
	if err != nil {
		return Outcome{Err: err}
	}
	o := Outcome{Status: res.StatusCode(), Body: res.GetBody()}
	if o.Status >= 400 {
		var env client.ErrorEnvelope
		if jsonErr := json.Unmarshal(o.Body, &env); jsonErr == nil {
			o.Code = env.Error.Code
		}
	}
	return o
}

// AtOnce runs f(0) … f(n-1), each in a goroutine of its own, released together so
// that they contend, and returns when all have.
func AtOnce(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}
