package docs_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shopfloor/shopfloor/internal/apitest"
)

// browser drives headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on fd 3, replies and events on fd 4, each message
// ending in a NUL byte). Unlike --dump-dom with a virtual-time budget, which takes the
// DOM when the budget runs out whether or not the page has finished rendering, this lets
// a test wait for what it expects to see.
type browser struct {
	cmd     *exec.Cmd
	send    *os.File
	stderr  apitest.SyncBuffer // Chromium writes it from exec's copying goroutine
	session string

	mu      sync.Mutex
	nextID  int
	pending map[int]chan reply
	logs    []string // console messages, exceptions and browser log entries, in order
	done    chan struct{}
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// startBrowser starts Chromium with the flags the machine's probe uses: no sandbox
// (tests run as root), no GPU, and none of the background traffic that a closed network
// refuses. It opens one blank tab and attaches to it; the browser is closed when the
// test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	require.NoError(t, err, "the docs-page test needs Chromium: apt-get install chromium (CI installs it)")

	toChrome, send, err := os.Pipe()
	require.NoError(t, err)
	recv, fromChrome, err := os.Pipe()
	require.NoError(t, err)

	b := &browser{send: send, pending: map[int]chan reply{}, done: make(chan struct{})}
	b.cmd = exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-quic", "--user-data-dir="+t.TempDir(), "--window-size=1280,1400",
		"--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fd 3 and fd 4 in Chromium
	b.cmd.Stderr = &b.stderr
	require.NoError(t, b.cmd.Start())
	_ = toChrome.Close()
	_ = fromChrome.Close()
	go b.read(recv)

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = b.call(ctx, "", "Browser.close", nil)
		exited := make(chan struct{})
		go func() { _ = b.cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = b.cmd.Process.Kill()
			<-exited
		}
		_ = send.Close()
		_ = recv.Close()
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var target struct {
		TargetID string `json:"targetId"`
	}
	b.must(t, ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.must(t, ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	for _, domain := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		b.must(t, ctx, b.session, domain, nil, nil)
	}
	return b
}

// read delivers replies to their callers and keeps what the page logged.
func (b *browser) read(r *os.File) {
	defer close(b.done)
	in := bufio.NewReader(r)
	for {
		raw, err := in.ReadBytes(0)
		if err != nil {
			return
		}
		var msg struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			reply
		}
		if json.Unmarshal(raw[:len(raw)-1], &msg) != nil {
			continue
		}
		b.mu.Lock()
		if ch, ok := b.pending[msg.ID]; ok && msg.Method == "" {
			delete(b.pending, msg.ID)
			ch <- msg.reply
		} else if line := logLine(msg.Method, msg.Params); line != "" {
			b.logs = append(b.logs, line)
		}
		b.mu.Unlock()
	}
}

// logLine renders the events worth showing when a page check fails.
func logLine(method string, params json.RawMessage) string {
	switch method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(params, &p)
		parts := []string{"console." + p.Type + ":"}
		for _, a := range p.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, fmt.Sprint(a.Value))
			}
		}
		return strings.Join(parts, " ")
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(params, &p)
		return "exception: " + p.Details.Text + " " + p.Details.Exception.Description
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level string `json:"level"`
				Text  string `json:"text"`
				URL   string `json:"url"`
			} `json:"entry"`
		}
		_ = json.Unmarshal(params, &p)
		return "log." + p.Entry.Level + ": " + p.Entry.Text + " " + p.Entry.URL
	}
	return ""
}

// call sends one command (to the tab when session is set, else to the browser) and
// waits for its reply.
func (b *browser) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan reply, 1)
	b.pending[id] = ch
	b.mu.Unlock()

	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := b.send.Write(append(raw, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: Chromium exited: %s", method, b.stderr.String())
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *browser) must(t *testing.T, ctx context.Context, session, method string, params, out any) {
	t.Helper()
	raw, err := b.call(ctx, session, method, params)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(raw, out), "%s: %s", method, raw)
	}
}

// navigate opens url in the tab.
func (b *browser) navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	b.must(t, ctx, b.session, "Page.navigate", map[string]any{"url": url}, &nav)
	require.Empty(t, nav.ErrorText, "Chromium could not load %s", url)
}

// eval runs a JavaScript expression in the page and decodes its value into out.
func (b *browser) eval(t *testing.T, ctx context.Context, expr string, out any) {
	t.Helper()
	require.NoError(t, b.try(ctx, expr, out))
}

// try is eval that returns its error, for expressions that may fail while the page
// is still loading.
func (b *browser) try(ctx context.Context, expr string, out any) error {
	raw, err := b.call(ctx, b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return err
	}
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("evaluating %s: %w", expr, err)
	}
	if res.Exception != nil {
		return fmt.Errorf("evaluating %s: %s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if err := json.Unmarshal(res.Result.Value, out); err != nil {
		return fmt.Errorf("evaluating %s: %w (value %s)", expr, err, res.Result.Value)
	}
	return nil
}

// waitUntil evaluates a boolean expression every 100 ms until it is true or ctx ends.
// It reports whether it became true, and if not, the last error, if any (an expression
// can throw while a navigation replaces the page).
func (b *browser) waitUntil(ctx context.Context, expr string) (bool, error) {
	var last error
	for {
		var ok bool
		if last = b.try(ctx, "Boolean("+expr+")", &ok); last == nil && ok {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, last
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// screenshot captures the tab as a PNG.
func (b *browser) screenshot(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	b.must(t, ctx, b.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	require.NoError(t, err)
	return png
}

// log is what the page and the browser logged so far, for failure messages.
func (b *browser) log() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.logs) == 0 {
		return "(the page logged nothing)"
	}
	return strings.Join(b.logs, "\n")
}
