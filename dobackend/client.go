// Package dobackend drives DigitalOcean's managed Redis/Valkey clusters
// through the DigitalOcean API (github.com/digitalocean/godo): list, details,
// CA certificate, eviction policy, sizes offered, resize and the wait for it.
// It also holds the fit check that guards a resize and the dated price
// table. No UI here: the console and the headless commands both call it.
//
// Errors are one line, naming the cause and the remedy, and never contain
// the token (see Token) or a cluster's password.
package dobackend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"golang.org/x/oauth2"
)

// DefaultBaseURL is DigitalOcean's API.
const DefaultBaseURL = "https://api.digitalocean.com/"

// Options configure a Client. Zero values take the defaults.
type Options struct {
	Token Token
	// BaseURL points the client at another API (--do-api, CACHEDECK_DO_API);
	// "" is DefaultBaseURL. Plain http is accepted only for loopback hosts.
	BaseURL string
	// RequestTimeout bounds one HTTP request (default 30 s).
	RequestTimeout time.Duration
	// Retries is how many times a request is retried after a 429, a 5xx or
	// a timeout (default 3; -1: none).
	Retries int
	// MaxWait caps one wait for the rate limit to reset (default 60 s): a
	// longer wait fails at once, saying when to try again.
	MaxWait time.Duration
	// Backoff is the first wait before retrying a 5xx or a timeout; it
	// doubles each time (default 1 s).
	Backoff time.Duration
	// Notify hears about waits ("rate limited: waiting 5s …"); may be nil.
	Notify func(string)
	// Sleep waits d or until ctx ends; nil is the real clock (tests record).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is a DigitalOcean API client for managed Redis/Valkey clusters.
// Safe for concurrent use.
type Client struct {
	api   *godo.Client
	opts  Options
	token string // to scrub it from any message; never printed
	mu    sync.Mutex
	rate  godo.Rate
}

// maxBody bounds what cachedeck reads of one API response: the API is
// trusted to be well-formed, not to be small.
const maxBody = 8 << 20

// New makes a client. It checks the base URL but sends nothing.
func New(o Options) (*Client, error) {
	if o.Token.IsZero() {
		return nil, ErrNoToken
	}
	base, err := CheckBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 3
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.MaxWait <= 0 {
		o.MaxWait = time.Minute
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	// godo wants an oauth2 client (doctl does the same); its own retries
	// stay off: cachedeck retries itself so that it can bound the waits
	// and say what it waits for.
	transport := &boundedTransport{base: http.DefaultTransport}
	hc := oauth2.NewClient(context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: transport}),
		oauth2.StaticTokenSource(&oauth2.Token{AccessToken: o.Token.value}))
	// No redirects: oauth2's transport adds the token to every request it
	// sends, a redirected one to another host (or to plain http) included.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// No hc.Timeout: http.Client would cancel through oauth2's deprecated
	// CancelRequest, which logs to stderr. call bounds each attempt with a
	// context instead.
	api, err := godo.New(hc, godo.SetBaseURL(base), godo.SetUserAgent("cachedeck"))
	if err != nil {
		return nil, fmt.Errorf("DigitalOcean client: %v", err)
	}
	return &Client{api: api, opts: o, token: o.Token.value}, nil
}

// CheckBaseURL validates an API base URL and returns it ending with "/".
// https goes anywhere; plain http only to loopback, since the token would
// cross the network in clear.
func CheckBaseURL(raw string) (string, error) {
	if raw == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("--do-api %q is not a URL (give https://host/ or, for a local test server, http://127.0.0.1:PORT/)", raw)
	}
	if u.User != nil {
		return "", errors.New("--do-api must not carry credentials in the URL (the token comes from DIGITALOCEAN_TOKEN, doctl or the profile)")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("--do-api %s: plain http is allowed only to loopback (127.0.0.1, ::1, localhost); use https so the token is not sent in clear", u.Host)
		}
	default:
		return "", fmt.Errorf("--do-api %q: the scheme must be https (or http to loopback)", raw)
	}
	return u.Scheme + "://" + u.Host + "/", nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Rate is the rate limit the API reported with its last answer (zero before
// the first).
func (c *Client) Rate() godo.Rate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// RateNote is "API rate limit: 4987 of 5000 requests left this hour", or ""
// before the API has said.
func (c *Client) RateNote() string {
	r := c.Rate()
	if r.Limit == 0 {
		return ""
	}
	return fmt.Sprintf("API rate limit: %d of %d requests left this hour", r.Remaining, r.Limit)
}

// call runs one API request with the retry policy: 429 waits for
// Retry-After / RateLimit-Reset (bounded by MaxWait); 5xx (but 501) and
// timeouts are retried with backoff when idempotent is set. op names the
// request in errors ("list clusters").
func (c *Client) call(ctx context.Context, op string, idempotent bool, fn func(ctx context.Context) (*godo.Response, error)) error {
	backoff := c.opts.Backoff
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
		resp, err := fn(actx)
		cancel()
		if resp != nil && resp.Response != nil {
			c.mu.Lock()
			c.rate = resp.Rate
			c.mu.Unlock()
		}
		if err == nil {
			return nil
		}
		e := c.classify(ctx, op, resp, err)
		e.Attempts = attempt + 1
		last := attempt >= c.opts.Retries
		var wait time.Duration
		switch {
		case e.Kind == KindCancelled || last:
			return e
		case e.Kind == KindRateLimited:
			wait = e.RetryAfter
			if wait <= 0 {
				wait = backoff
				backoff *= 2
			}
			if wait > c.opts.MaxWait {
				e.Detail = fmt.Sprintf("the API asks to wait %s, longer than cachedeck waits (%s)", wait.Round(time.Second), c.opts.MaxWait)
				return e
			}
			c.notify(fmt.Sprintf("%s: rate limited by the API, waiting %s (try %d of %d)", op, wait.Round(time.Millisecond), attempt+2, c.opts.Retries+1))
		case (e.Kind == KindServer || e.Kind == KindTimeout) && idempotent:
			wait = backoff
			backoff *= 2
			c.notify(fmt.Sprintf("%s: %s, retrying in %s (try %d of %d)", op, e.short(), wait, attempt+2, c.opts.Retries+1))
		default:
			return e
		}
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return &APIError{Op: op, Kind: KindCancelled, Attempts: attempt + 1}
		}
	}
}

func (c *Client) notify(msg string) {
	if c.opts.Notify != nil {
		c.opts.Notify(scrub(msg, c.token))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// boundedTransport caps every response body at maxBody.
type boundedTransport struct{ base http.RoundTripper }

func (t *boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{r: io.LimitReader(resp.Body, maxBody), c: resp.Body}
	return resp, nil
}

type limitedBody struct {
	r io.Reader
	c io.Closer
}

func (b *limitedBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *limitedBody) Close() error               { return b.c.Close() }
