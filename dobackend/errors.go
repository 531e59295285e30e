package dobackend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/digitalocean/godo"
)

// Kind sorts API failures by what the operator should do about them.
type Kind int

const (
	KindOther         Kind = iota
	KindUnauthorized       // 401: token invalid or expired
	KindForbidden          // 403: token lacks the database scope
	KindNotFound           // 404: no such cluster
	KindUnprocessable      // 422: the API refused the request (its message says why)
	KindRateLimited        // 429
	KindServer             // 5xx
	KindTimeout            // no answer in time, or the connection failed
	KindCancelled          // the caller's context ended
)

// APIError is a failed API call as one line: what was asked, why it failed,
// what to do. It never holds the token.
type APIError struct {
	Op         string // "list clusters", "resize coldcopy-cache"
	Kind       Kind
	Status     int           // HTTP status, 0 without an answer
	Message    string        // the API's own message, sanitised and bounded
	RequestID  string        // for DigitalOcean support
	RetryAfter time.Duration // 429: how long the API asked to wait
	ResetAt    time.Time     // 429: when the hourly limit resets, when said
	Attempts   int
	Detail     string // extra cause, e.g. a wait longer than cachedeck's bound
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("DigitalOcean API: " + e.Op + ": ")
	switch e.Kind {
	case KindUnauthorized:
		b.WriteString("401 unauthorized: the token is invalid or expired (make a new one in the control panel under API, then set DIGITALOCEAN_TOKEN or run 'doctl auth init')")
	case KindForbidden:
		b.WriteString("403 forbidden: the token lacks the database scope (give it database read, and update to resize or change the eviction policy)")
	case KindNotFound:
		b.WriteString("404 not found: no such cluster (list them with 'cachedeck do clusters')")
	case KindUnprocessable:
		b.WriteString("422 refused by the API: " + orDash(e.Message))
	case KindRateLimited:
		b.WriteString("429 rate limited")
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		} else if e.Attempts > 1 {
			fmt.Fprintf(&b, " after %d tries", e.Attempts)
		}
		if !e.ResetAt.IsZero() {
			b.WriteString("; try again after " + e.ResetAt.UTC().Format("15:04:05") + " UTC")
		} else {
			b.WriteString("; try again in a minute")
		}
	case KindServer:
		fmt.Fprintf(&b, "%d server error", e.Status)
		if e.Message != "" {
			b.WriteString(" (" + e.Message + ")")
		}
		if e.Attempts > 1 {
			fmt.Fprintf(&b, " after %d tries", e.Attempts)
		}
		b.WriteString(": DigitalOcean is failing; try again later and check its status page")
	case KindTimeout:
		b.WriteString("no answer")
		if e.Detail != "" {
			b.WriteString(" (" + e.Detail + ")")
		}
		if e.Attempts > 1 {
			fmt.Fprintf(&b, " after %d tries", e.Attempts)
		}
		b.WriteString(": check the network, a proxy, or --do-api")
	case KindCancelled:
		b.WriteString("cancelled")
	default:
		if e.Status != 0 {
			fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
		} else {
			b.WriteString("failed")
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
		if e.Detail != "" {
			b.WriteString(" (" + e.Detail + ")")
		}
	}
	if e.RequestID != "" && (e.Kind == KindServer || e.Kind == KindOther) {
		b.WriteString(" [request id " + e.RequestID + "]")
	}
	return b.String()
}

// short is the cause alone, for retry notes.
func (e *APIError) short() string {
	switch e.Kind {
	case KindServer:
		return fmt.Sprintf("%d server error", e.Status)
	case KindTimeout:
		return "no answer"
	}
	return "failed"
}

// IsKind reports whether err is an APIError of kind k.
func IsKind(err error, k Kind) bool {
	var e *APIError
	return errors.As(err, &e) && e.Kind == k
}

// classify turns a godo error into an APIError with the token scrubbed.
func (c *Client) classify(ctx context.Context, op string, resp *godo.Response, err error) *APIError {
	e := &APIError{Op: op}
	var er *godo.ErrorResponse
	// An answer is classified by its status even when ctx ended meanwhile
	// (a resize's answer is read after Ctrl-C).
	if !errors.As(err, &er) || er.Response == nil {
		if ctx.Err() != nil {
			e.Kind = KindCancelled
			return e
		}
	} else {
		e.Status = er.Response.StatusCode
		e.Message = clean(scrub(er.Message, c.token), 300)
		if e.Message == "" && er.NestedError != nil {
			e.Message = clean(scrub(er.NestedError.Message, c.token), 300)
		}
		e.RequestID = clean(scrub(er.RequestID, c.token), 80)
		switch s := e.Status; {
		case s == http.StatusUnauthorized:
			e.Kind = KindUnauthorized
		case s == http.StatusForbidden:
			e.Kind = KindForbidden
		case s == http.StatusNotFound:
			e.Kind = KindNotFound
		case s == http.StatusUnprocessableEntity:
			e.Kind = KindUnprocessable
		case s == http.StatusTooManyRequests:
			e.Kind = KindRateLimited
			e.RetryAfter, e.ResetAt = rateWait(er.Response.Header, time.Now())
		case s >= 500 && s != http.StatusNotImplemented:
			e.Kind = KindServer
		}
		return e
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		e.Kind, e.Detail = KindTimeout, "timed out"
		return e
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		e.Kind, e.Detail = KindTimeout, "connection failed: "+clean(scrub(oe.Err.Error(), c.token), 120)
		return e
	}
	// Decoding errors and the like: the message comes from Go, not the
	// API, but scrub anyway.
	e.Detail = clean(scrub(err.Error(), c.token), 200)
	return e
}

// rateWait reads how long a 429 asks to wait: Retry-After (seconds or an
// HTTP date), else RateLimit-Reset (epoch seconds).
func rateWait(h http.Header, now time.Time) (time.Duration, time.Time) {
	var reset time.Time
	if v := h.Get("Ratelimit-Reset"); v != "" {
		if sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && sec > 0 {
			reset = time.Unix(sec, 0)
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if sec, err := strconv.Atoi(v); err == nil && sec >= 0 {
			return time.Duration(sec) * time.Second, reset
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), reset
		}
	}
	if !reset.IsZero() {
		return max(reset.Sub(now), 0), reset
	}
	return 0, reset
}

// scrub removes the token from s, should an API or a library echo it.
func scrub(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[token]")
}

// clean makes untrusted text one bounded printable line.
func clean(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == unicode.ReplacementChar || !unicode.IsPrint(r):
			b.WriteRune('?')
		default:
			b.WriteRune(r)
		}
		if b.Len() >= limit {
			b.WriteString("…")
			break
		}
	}
	return strings.TrimSpace(b.String())
}

func orDash(s string) string {
	if s == "" {
		return "(no message)"
	}
	return s
}
