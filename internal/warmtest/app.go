// Package warmtest plays the ColdCopy app's cache-warming endpoint for
// tests: GET /api/cron/cache-warming with a bearer token, writing the
// three namespaces the real job writes into a real Redis, with their TTLs,
// skipping keys already cached, and answering the app's JSON. Behaviours
// (a 500, a non-JSON page, a hang, a slow start) are switched per test.
package warmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Path is the app's endpoint.
const Path = "/api/cron/cache-warming"

// The namespaces the app's job writes, with their TTLs.
var Namespaces = []struct {
	Prefix string
	TTL    time.Duration
}{
	{"coldcopy:lead_score:", time.Hour},
	{"coldcopy:campaign_analytics:", 5 * time.Minute},
	{"coldcopy:workspace_dashboard:", 10 * time.Minute},
}

// Mode is how the endpoint answers an authorised call.
type Mode int

// Modes.
const (
	OK           Mode = iota // warm and answer {"success": true, ...}
	ServerError              // 500 {"error": "..."}, nothing written
	NotJSON                  // 200 with an HTML page
	Hang                     // never answer (until the client gives up)
	SuccessFalse             // 200 {"success": false, ...}
	Hostile                  // warm, but the answer's cacheStats and timestamp carry escape sequences
)

// App is a running fake endpoint.
type App struct {
	URL   string // the endpoint's full URL
	Token string // the CRON_SECRET it accepts

	// Keys a full warm writes per namespace (default 100, 50, 20 like
	// the app).
	Counts [3]int
	// PerCall, when > 0, is how many keys one call writes at most: a cold
	// cache then needs several calls (--until-stable).
	PerCall int

	rdb   redis.UniversalClient
	srv   *httptest.Server
	calls atomic.Int64

	mu        sync.Mutex
	mode      Mode
	startup   int    // the next calls answered as the app still booting
	bootReply string // "503" or "drop"
	auths     []string
}

// Start serves the endpoint on loopback; it writes into rdb. The server
// stops in t.Cleanup.
func Start(t testing.TB, rdb redis.UniversalClient, token string) *App {
	t.Helper()
	a := &App{Token: token, Counts: [3]int{100, 50, 20}, rdb: rdb}
	mux := http.NewServeMux()
	mux.HandleFunc(Path, a.serve)
	a.srv = httptest.NewServer(mux)
	a.URL = a.srv.URL + Path
	t.Cleanup(a.srv.Close)
	return a
}

// SetMode switches how authorised calls are answered.
func (a *App) SetMode(m Mode) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mode = m
}

// SlowStart makes the next n calls fail as an app still booting does:
// reply "503" answers 503 with a proxy's HTML page, "drop" closes the
// connection without an answer.
func (a *App) SlowStart(n int, reply string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.startup, a.bootReply = n, reply
}

// Calls is how many requests reached the endpoint.
func (a *App) Calls() int64 { return a.calls.Load() }

// Authorizations are the Authorization headers received, in order.
func (a *App) Authorizations() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.auths...)
}

// Key is the i-th key of namespace ns, as the app's key builders make it.
func Key(ns, i int) string {
	switch ns {
	case 0:
		return fmt.Sprintf("coldcopy:lead_score:ws%d:lead%d", i%7, i)
	case 1:
		return fmt.Sprintf("coldcopy:campaign_analytics:ws%d:camp%d", i%7, i)
	}
	return fmt.Sprintf("coldcopy:workspace_dashboard:ws%d", i)
}

func (a *App) serve(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	a.mu.Lock()
	a.auths = append(a.auths, r.Header.Get("Authorization"))
	mode, booting, bootReply := a.mode, a.startup > 0, a.bootReply
	if booting {
		a.startup--
	}
	a.mu.Unlock()

	if booting {
		if bootReply == "drop" {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway: app starting</body></html>"))
		return
	}
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+a.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized"})
		return
	}
	switch mode {
	case ServerError:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "Cache warming failed: connect ECONNREFUSED 10.0.0.5:5432\x1b[2J"})
		return
	case NotJSON:
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Login</title></head>\n<body>\x1b[31mplease sign in</body></html>"))
		return
	case Hang:
		<-r.Context().Done()
		return
	}
	warmed, errs := a.warm(r.Context())
	body := map[string]any{
		"success":    mode != SuccessFalse,
		"warmed":     warmed,
		"errors":     errs,
		"cacheStats": map[string]any{"hits": 1200, "misses": 300, "hitRate": 0.8},
		"timestamp":  time.Now().UTC().Format(time.RFC3339Nano),
	}
	if mode == Hostile {
		body["cacheStats"] = map[string]any{"hits\x1b[2J": 1, "note": "\x1b]8;;http://evil.example\x1b\\x\x1b]8;;\x1b\\ \u009b31m"}
		body["timestamp"] = "\x1b]52;c;aGVsbG8=\x07 2026\u009b2J"
	}
	writeJSON(w, http.StatusOK, body)
}

// warm writes the missing keys (SET NX EX, as the app skips keys already
// cached), at most PerCall of them when set.
func (a *App) warm(ctx context.Context) (warmed, errs int64) {
	budget := a.PerCall
	for ns, n := range a.Counts {
		for i := 0; i < n; i++ {
			if a.PerCall > 0 && budget == 0 {
				return warmed, errs
			}
			value := fmt.Sprintf(`{"id":%d,"score":%d,"computedAt":%q}`, i, i%100, time.Now().UTC().Format(time.RFC3339))
			ok, err := a.rdb.SetNX(ctx, Key(ns, i), value, Namespaces[ns].TTL).Result()
			switch {
			case err != nil:
				errs++
			case ok:
				warmed++
				budget--
			}
		}
	}
	return warmed, errs
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(body)
}

// Total is the number of keys a full warm writes.
func (a *App) Total() int { return a.Counts[0] + a.Counts[1] + a.Counts[2] }

// Redact is a helper for assertions: whether s mentions the token.
func (a *App) Leaks(s string) bool { return strings.Contains(s, a.Token) }
