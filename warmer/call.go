// Package warmer triggers the app's cache warmers over HTTP and measures
// what they did in Redis: the namespaces' keys counted before and after
// (redisops), the endpoint's own answer in between. It never imports UI
// packages; the console and the headless commands both call Run.
package warmer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/decode"
)

// Answer is the app's warmer reply: {"success", "warmed", "errors",
// "cacheStats", "timestamp"}.
type Answer struct {
	Success   bool   `json:"success"`
	Warmed    int64  `json:"warmed"`
	Errors    int64  `json:"errors"`
	Timestamp string `json:"timestamp,omitempty"`
	// CacheStats is the app's own object, compacted and bounded
	// (maxStats); it is shown, not interpreted.
	CacheStats json.RawMessage `json:"cacheStats,omitempty"`
}

// CallOptions tune Call; zero fields take the defaults.
type CallOptions struct {
	// Retries after the first attempt, on a 5xx answer, a connection
	// error or a timeout (default 2; -1 for none). A 4xx is never retried:
	// asking again with the same secret cannot help.
	Retries int
	// Backoff before the first retry, doubled for each next one up to
	// MaxBackoff (defaults 1 s and 8 s).
	Backoff, MaxBackoff time.Duration
	// Client sends the requests (default: a client without redirects to
	// other hosts, see newClient).
	Client *http.Client
	// OnAttempt is told before each attempt (1-based) and why the
	// previous one is retried (nil for the first).
	OnAttempt func(attempt int, retryReason error)
}

// Defaults of CallOptions.
const (
	DefaultRetries    = 2
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 8 * time.Second
)

// Bounds on what is read from the endpoint: untrusted bytes.
const (
	maxBody    = 1 << 20 // an answer larger than this is not the warmer's JSON
	maxShown   = 200     // bytes of a non-JSON answer shown, escaped
	maxStats   = 2048    // bytes of cacheStats kept
	maxAppText = 300     // bytes of the app's {"error"} shown
)

// Result is one call: the last attempt's status and answer.
type Result struct {
	Status   int // HTTP status of the last answer; 0 when none came
	Attempts int
	Answer   *Answer // the last attempt's JSON answer; nil when none was read
	Duration time.Duration
}

// Kinds of CallError.
const (
	KindUnauthorized = "unauthorized" // 401/403: the secret is wrong
	KindClient       = "client"       // another 4xx: not retried
	KindApp          = "app"          // 5xx (or success false): the app's error
	KindNotJSON      = "not-json"     // the answer is not the warmer's JSON
	KindTimeout      = "timeout"
	KindConnection   = "connection"
)

// CallError is a failed call, in words an operator can act on. It never
// holds the token, and the URL it names has no user info or query.
type CallError struct {
	Warmer   string
	Kind     string
	Status   int
	Attempts int
	Msg      string
}

func (e *CallError) Error() string { return fmt.Sprintf("warmer %s: %s", e.Warmer, e.Msg) }

// retryable reports whether another attempt may succeed.
func (e *CallError) retryable() bool {
	switch e.Kind {
	case KindTimeout, KindConnection:
		return true
	case KindApp:
		return e.Status >= 500
	}
	return false
}

// Call sends w's request with token as its bearer and parses the answer.
// Each attempt has w.Timeout; retries follow CallOptions. The token is
// never put in an error: every message is built here from parts that
// cannot hold it, and redacted again at the end.
func Call(ctx context.Context, w config.Warmer, token string, o CallOptions) (Result, error) {
	w, err := w.WithDefaults()
	if err != nil {
		return Result{}, err
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	o.Retries = max(0, o.Retries)
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return Result{}, &CallError{Warmer: w.Name, Kind: KindClient,
			Msg: fmt.Sprintf("the token from %s holds control characters a header cannot carry (a stray newline or tab in the file or variable?)", w.TokenSource())}
	}
	client := o.Client
	if client == nil {
		client = newClient()
	}
	start := time.Now()
	var res Result
	var last *CallError
	backoff := o.Backoff
	for attempt := 1; attempt <= o.Retries+1; attempt++ {
		if attempt > 1 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				res.Duration = time.Since(start)
				return res, redactErr(fmt.Errorf("%w (cancelled before attempt %d)", last, attempt), token)
			case <-t.C:
			}
			backoff = min(2*backoff, o.MaxBackoff)
		}
		if o.OnAttempt != nil {
			var why error
			if last != nil {
				why = redactErr(last, token) // shown on screen: never the token
			}
			o.OnAttempt(attempt, why)
		}
		res.Attempts = attempt
		status, ans, cerr := attemptOnce(ctx, client, w, token)
		res.Status, res.Answer = status, ans
		if ans != nil && token != "" && bytes.Contains(ans.CacheStats, []byte(token)) {
			ans.CacheStats = nil // an app that echoes the secret does not get it shown
		}
		if cerr == nil {
			res.Duration = time.Since(start)
			return res, nil
		}
		cerr.Attempts = attempt
		last = cerr
		if ctx.Err() != nil || !cerr.retryable() {
			break
		}
	}
	res.Duration = time.Since(start)
	if last.retryable() && res.Attempts > 1 {
		last.Msg += fmt.Sprintf(" (after %d attempts)", res.Attempts)
	}
	return res, redactErr(last, token)
}

// attemptOnce is one request and its answer.
func attemptOnce(ctx context.Context, client *http.Client, w config.Warmer, token string) (int, *Answer, *CallError) {
	fail := func(kind string, status int, format string, args ...any) (int, *Answer, *CallError) {
		return status, nil, &CallError{Warmer: w.Name, Kind: kind, Status: status, Msg: fmt.Sprintf(format, args...)}
	}
	actx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, w.Method, w.URL, nil)
	if err != nil {
		return fail(KindClient, 0, "the url cannot be requested: %s", ShownURL(w.URL))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cachedeck-warm")
	resp, err := client.Do(req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return fail(KindTimeout, 0, "no answer from %s within %s (raise the warmer's timeout if the app needs longer)", ShownURL(w.URL), w.Timeout)
		}
		if ctx.Err() != nil {
			return fail(KindConnection, 0, "cancelled while waiting for %s", ShownURL(w.URL))
		}
		return fail(KindConnection, 0, "%s: %s", ShownURL(w.URL), netCause(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return fail(KindTimeout, resp.StatusCode, "the answer from %s did not finish within %s", ShownURL(w.URL), w.Timeout)
		}
		return fail(KindConnection, resp.StatusCode, "reading the answer from %s: %s", ShownURL(w.URL), netCause(err))
	}
	status := resp.StatusCode
	var appErr struct {
		Error *string `json:"error"`
	}
	_ = json.Unmarshal(body, &appErr)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fail(KindUnauthorized, status, "%d %s: the secret is wrong (check %s, the app's CRON_SECRET)", status, http.StatusText(status), w.TokenSource())
	case status >= 500 && appErr.Error != nil:
		return fail(KindApp, status, "the app answered %d: %s", status, shown(*appErr.Error, maxAppText))
	case status >= 500:
		return fail(KindApp, status, "the app answered %d %s: %s", status, http.StatusText(status), firstBytes(body))
	case status >= 400:
		what := firstBytes(body)
		if appErr.Error != nil {
			what = shown(*appErr.Error, maxAppText)
		}
		return fail(KindClient, status, "%d %s from %s: %s (check the warmer's url and method)", status, http.StatusText(status), ShownURL(w.URL), what)
	case status < 200 || status >= 300:
		return fail(KindClient, status, "unexpected %d %s from %s", status, http.StatusText(status), ShownURL(w.URL))
	}
	if len(body) > maxBody {
		return fail(KindNotJSON, status, "the answer is over %d bytes, not the warmer's JSON: %s", maxBody, firstBytes(body))
	}
	ans, ok := parseAnswer(body)
	if !ok {
		return fail(KindNotJSON, status, "%d answer is not the warmer's JSON: %s", status, firstBytes(body))
	}
	if appErr.Error != nil {
		return fail(KindApp, status, "the app answered %d with an error: %s", status, shown(*appErr.Error, maxAppText))
	}
	if !ans.Success {
		return status, &ans, &CallError{Warmer: w.Name, Kind: KindApp, Status: status,
			Msg: fmt.Sprintf("the app answered success: false (warmed %d, errors %d)", ans.Warmed, ans.Errors)}
	}
	return status, &ans, nil
}

// parseAnswer decodes the warmer's JSON; ok is false for anything that is
// not an object with a success (or error) field. warmed and errors are
// counts; a number written as 170.0, or a list (its length), is taken too.
func parseAnswer(body []byte) (Answer, bool) {
	var raw struct {
		Success    *bool           `json:"success"`
		Error      json.RawMessage `json:"error"`
		Warmed     json.RawMessage `json:"warmed"`
		Errors     json.RawMessage `json:"errors"`
		Timestamp  json.RawMessage `json:"timestamp"`
		CacheStats json.RawMessage `json:"cacheStats"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || (raw.Success == nil && raw.Error == nil) {
		return Answer{}, false
	}
	var a Answer
	if raw.Success != nil {
		a.Success = *raw.Success
	}
	var ok1, ok2 bool
	a.Warmed, ok1 = count(raw.Warmed)
	a.Errors, ok2 = count(raw.Errors)
	if !ok1 || !ok2 {
		return Answer{}, false
	}
	var ts string
	if json.Unmarshal(raw.Timestamp, &ts) == nil {
		a.Timestamp = ts[:min(len(ts), 64)] // untrusted: escaped where shown
	}
	if len(raw.CacheStats) > 0 {
		var buf bytes.Buffer
		if json.Compact(&buf, raw.CacheStats) == nil && buf.Len() <= maxStats && buf.String() != "null" {
			a.CacheStats = buf.Bytes()
		}
	}
	return a, true
}

// count reads a JSON count: absent or null is 0, a whole number is
// itself, a list is its length.
func count(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, true
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil && f >= 0 && f == float64(int64(f)) {
		return int64(f), true
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		return int64(len(list)), true
	}
	return 0, false
}

// shown is untrusted text bounded and escaped for one line.
func shown(s string, limit int) string {
	cut := ""
	if len(s) > limit {
		s, cut = s[:limit], "…"
	}
	return decode.DisplayKey(s) + cut
}

// firstBytes is the start of an untrusted body, escaped.
func firstBytes(body []byte) string {
	if len(body) == 0 {
		return "(empty body)"
	}
	cut := ""
	if len(body) > maxShown {
		body, cut = body[:maxShown], "…"
	}
	return decode.QuoteKey(string(body)) + cut
}

// ShownURL is the URL without user info, query or fragment: those may hold
// a secret.
func ShownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return v.String()
}

// netCause is a connection failure in words, without the URL net/http
// puts in front of it.
func netCause(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the app running?)"
	case errors.As(err, &dnsErr):
		return "cannot resolve host " + dnsErr.Name
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before an answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	return shown(msg, maxAppText)
}

// redactErr removes the token from err's text, raw and in the escaped
// forms messages show untrusted bytes in: a last line of defence.
func redactErr(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	forms := []string{token, decode.DisplayKey(token)}
	if q := decode.QuoteKey(token); len(q) > 2 {
		forms = append(forms, q[1:len(q)-1])
	}
	redact := func(s string) string {
		for _, f := range forms {
			if f != "" {
				s = strings.ReplaceAll(s, f, "****")
			}
		}
		return s
	}
	if redact(err.Error()) == err.Error() {
		return err
	}
	var ce *CallError
	if errors.As(err, &ce) && err == error(ce) {
		c := *ce
		c.Msg, c.Warmer = redact(c.Msg), redact(c.Warmer)
		return &c
	}
	return errors.New(redact(err.Error()))
}

// newClient follows redirects only to the same host: a redirect elsewhere
// would carry the Authorization header there (Go drops it across hosts,
// but the warmer's answer would then come from the wrong place anyway).
func newClient() *http.Client {
	return &http.Client{
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				return fmt.Errorf("redirected to another host (%s): fix the warmer's url", req.URL.Host)
			}
			return nil
		},
	}
}
