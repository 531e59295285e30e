package warmer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/internal/warmtest"
	"github.com/coldcopy/cachedeck/redisops"
	"github.com/coldcopy/cachedeck/warmer"
)

const secret = "cron-s3cret-7f1d"

// fastCall keeps retries quick in tests; the counts of attempts stay what
// they would be in production.
var fastCall = warmer.CallOptions{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

type env struct {
	c   *redisops.Client
	rdb redis.UniversalClient
	app *warmtest.App
	w   config.Warmer
}

func setup(t *testing.T) env {
	t.Helper()
	srv := redistest.Standalone(t)
	c, err := redisops.Connect(context.Background(), redisops.ConnOptions{URL: srv.URL(), DB: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	app := warmtest.Start(t, c.Redis(), secret)
	return env{c: c, rdb: c.Redis(), app: app, w: config.Warmer{URL: app.URL, Timeout: 5 * time.Second}}
}

func byPattern(r *warmer.Report) map[string]warmer.NamespaceCount {
	out := map[string]warmer.NamespaceCount{}
	for _, ns := range r.Namespaces {
		out[ns.Pattern] = ns
	}
	return out
}

// noLeak checks that the token is in none of what a run shows.
func noLeak(t *testing.T, rep *warmer.Report, err error) {
	t.Helper()
	if err != nil {
		assert.NotContains(t, err.Error(), secret)
	}
	if rep != nil {
		b, jerr := json.Marshal(rep)
		require.NoError(t, jerr)
		assert.NotContains(t, string(b), secret)
		assert.NotContains(t, fmt.Sprintf("%+v", rep), secret)
	}
}

func TestRunCountsBeforeAndAfterExactly(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// Ten leads are cached already (the app skips them), and unrelated
	// keys share a prefix that must not be counted.
	for i := 0; i < 10; i++ {
		require.NoError(t, e.rdb.Set(ctx, warmtest.Key(0, i), "cached", time.Hour).Err())
	}
	for i := 0; i < 300; i++ {
		require.NoError(t, e.rdb.Set(ctx, fmt.Sprintf("coldcopy:lead:%d", i), "x", 0).Err())
	}
	g := redisops.NewGovernor(e.c, redisops.GovernorOptions{})
	g.Start(t.Context())
	defer g.Stop()
	var phases []string
	rep, err := warmer.Run(ctx, e.c, e.w, secret, warmer.RunOptions{Call: fastCall, Governor: g, Progress: func(p warmer.Progress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}})
	require.NoError(t, err)
	noLeak(t, rep, err)
	got := byPattern(rep)
	assert.Equal(t, warmer.NamespaceCount{Pattern: "coldcopy:lead_score:*", Before: 10, After: 100, Added: 90}, got["coldcopy:lead_score:*"])
	assert.Equal(t, warmer.NamespaceCount{Pattern: "coldcopy:campaign_analytics:*", Before: 0, After: 50, Added: 50}, got["coldcopy:campaign_analytics:*"])
	assert.Equal(t, warmer.NamespaceCount{Pattern: "coldcopy:workspace_dashboard:*", Before: 0, After: 20, Added: 20}, got["coldcopy:workspace_dashboard:*"])
	assert.EqualValues(t, 160, rep.Warmed, "the endpoint's own count")
	assert.EqualValues(t, 0, rep.Errors)
	assert.EqualValues(t, 160, rep.Added())
	require.Len(t, rep.Rounds, 1)
	assert.Equal(t, 200, rep.Rounds[0].Status)
	assert.Equal(t, 1, rep.Rounds[0].Attempts)
	require.NotNil(t, rep.Rounds[0].Answer)
	assert.JSONEq(t, `{"hits":1200,"misses":300,"hitRate":0.8}`, string(rep.Rounds[0].Answer.CacheStats))
	assert.NotEmpty(t, rep.Rounds[0].Answer.Timestamp)
	assert.Equal(t, []string{warmer.PhaseBefore, warmer.PhaseCalling, warmer.PhaseAfter, warmer.PhaseDone}, phases)
	// The token went to the app, as a bearer.
	assert.Equal(t, []string{"Bearer " + secret}, e.app.Authorizations())
	// The keys carry the app's TTLs.
	ttl := e.rdb.TTL(ctx, warmtest.Key(1, 3)).Val()
	assert.True(t, ttl > 4*time.Minute && ttl <= 5*time.Minute, "campaign analytics live 5 minutes, got %s", ttl)
}

func TestRunOnAClusterCountsEveryMaster(t *testing.T) {
	cl := redistest.Cluster(t, 3)
	c, err := redisops.Connect(context.Background(), redisops.ConnOptions{URL: "redis://" + cl.Addrs()[0], DB: -1})
	require.NoError(t, err)
	defer c.Close()
	require.True(t, c.IsCluster())
	app := warmtest.Start(t, c.Redis(), secret)
	rep, err := warmer.Run(context.Background(), c, config.Warmer{URL: app.URL}, secret, warmer.RunOptions{Call: fastCall})
	require.NoError(t, err)
	got := byPattern(rep)
	assert.EqualValues(t, 100, got["coldcopy:lead_score:*"].After)
	assert.EqualValues(t, 50, got["coldcopy:campaign_analytics:*"].After)
	assert.EqualValues(t, 20, got["coldcopy:workspace_dashboard:*"].After)
}

func TestWrongSecretIsNotRetried(t *testing.T) {
	e := setup(t)
	rep, err := warmer.Run(context.Background(), e.c, e.w, "not-the-"+secret, warmer.RunOptions{Call: fastCall})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401 Unauthorized: the secret is wrong")
	var ce *warmer.CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, warmer.KindUnauthorized, ce.Kind)
	assert.EqualValues(t, 1, e.app.Calls(), "a 4xx is never retried")
	assert.NotContains(t, err.Error(), "not-the-")
	noLeak(t, rep, err)
	require.Len(t, rep.Rounds, 1, "the counts are reported even when the call fails")
	assert.Nil(t, rep.Rounds[0].Answer, "no JSON answer was read")
	assert.Contains(t, rep.Rounds[0].Error, "the secret is wrong")
	assert.EqualValues(t, 0, rep.Added())
}

func TestAppErrorIsShownEscapedAndRetriedBounded(t *testing.T) {
	e := setup(t)
	e.app.SetMode(warmtest.ServerError)
	rep, err := warmer.Run(context.Background(), e.c, e.w, secret, warmer.RunOptions{Call: warmer.CallOptions{Retries: 3, Backoff: time.Millisecond}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the app answered 500: ")
	assert.Contains(t, err.Error(), `Cache warming failed: connect ECONNREFUSED 10.0.0.5:5432\x1b[2J`, "the app's error, escaped")
	assert.NotContains(t, err.Error(), "\x1b")
	assert.Contains(t, err.Error(), "after 4 attempts")
	assert.EqualValues(t, 4, e.app.Calls(), "3 retries, then it stops")
	noLeak(t, rep, err)
}

func TestNotJSONShowsFirstBytesEscaped(t *testing.T) {
	e := setup(t)
	e.app.SetMode(warmtest.NotJSON)
	rep, err := warmer.Run(context.Background(), e.c, e.w, secret, warmer.RunOptions{Call: fastCall})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `200 answer is not the warmer's JSON: "<!DOCTYPE html><html><head><title>Login</title></head>\n<body>\x1b[31mplease`)
	assert.NotContains(t, err.Error(), "\x1b")
	assert.EqualValues(t, 1, e.app.Calls(), "a 200 that is not JSON is not retried: a login page stays a login page")
	noLeak(t, rep, err)
}

func TestSuccessFalseIsAFailure(t *testing.T) {
	e := setup(t)
	e.app.SetMode(warmtest.SuccessFalse)
	_, err := warmer.Run(context.Background(), e.c, e.w, secret, warmer.RunOptions{Call: fastCall})
	assert.ErrorContains(t, err, "success: false (warmed 170, errors 0)")
}

func TestTimeoutIsBoundedPerAttempt(t *testing.T) {
	e := setup(t)
	e.app.SetMode(warmtest.Hang)
	w := e.w
	w.Timeout = 100 * time.Millisecond
	rep, err := warmer.Run(context.Background(), e.c, w, secret, warmer.RunOptions{Call: warmer.CallOptions{Retries: 1, Backoff: time.Millisecond}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no answer from http://127.0.0.1:")
	assert.Contains(t, err.Error(), "within 100ms")
	var ce *warmer.CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, warmer.KindTimeout, ce.Kind)
	assert.Equal(t, 2, ce.Attempts)
	assert.EqualValues(t, 2, e.app.Calls())
	noLeak(t, rep, err)
}

func TestSlowStartIsRetriedThrough(t *testing.T) {
	for _, reply := range []string{"503", "drop"} {
		t.Run(reply, func(t *testing.T) {
			e := setup(t)
			e.app.SlowStart(2, reply)
			var retried []error
			rep, err := warmer.Run(context.Background(), e.c, e.w, secret, warmer.RunOptions{Call: warmer.CallOptions{Retries: 2, Backoff: time.Millisecond,
				OnAttempt: func(_ int, why error) {
					if why != nil {
						retried = append(retried, why)
					}
				}}})
			require.NoError(t, err)
			assert.Equal(t, 3, rep.Rounds[0].Attempts)
			assert.EqualValues(t, 170, rep.Added())
			require.Len(t, retried, 2)
			if reply == "503" {
				assert.Contains(t, retried[0].Error(), "503 Service Unavailable")
			} else {
				assert.Contains(t, retried[0].Error(), "closed before an answer")
			}
		})
	}
}

func TestSlowStartLongerThanTheRetries(t *testing.T) {
	e := setup(t)
	e.app.SlowStart(5, "503")
	_, err := warmer.Run(context.Background(), e.c, e.w, secret, warmer.RunOptions{Call: warmer.CallOptions{Retries: 2, Backoff: time.Millisecond}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "after 3 attempts")
	assert.EqualValues(t, 3, e.app.Calls())
}

func TestConnectionRefused(t *testing.T) {
	e := setup(t)
	port := redistest.FreePort(t)
	w := config.Warmer{URL: fmt.Sprintf("http://127.0.0.1:%d/api/cron/cache-warming?key=%s", port, secret)}
	rep, err := warmer.Run(context.Background(), e.c, w, secret, warmer.RunOptions{Call: warmer.CallOptions{Retries: 1, Backoff: time.Millisecond}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection refused (is the app running?)")
	assert.Contains(t, err.Error(), "after 2 attempts")
	assert.NotContains(t, err.Error(), "?key=", "the query is not shown: it may hold a secret")
	noLeak(t, rep, err)
}

func TestUntilStableRepeatsWhileKeysAreAdded(t *testing.T) {
	e := setup(t)
	e.app.PerCall = 60 // 170 keys: 60, 60, 50, then nothing
	rep, err := warmer.Run(context.Background(), e.c, e.w, secret, warmer.RunOptions{Call: fastCall, UntilStable: true, MaxRounds: 10})
	require.NoError(t, err)
	require.Len(t, rep.Rounds, 4)
	assert.EqualValues(t, []int64{60, 60, 50, 0}, []int64{rep.Rounds[0].Added(), rep.Rounds[1].Added(), rep.Rounds[2].Added(), rep.Rounds[3].Added()})
	assert.True(t, rep.Stable)
	assert.EqualValues(t, 170, rep.Added())
	assert.EqualValues(t, 170, rep.Warmed)
	assert.EqualValues(t, 4, e.app.Calls())

	// At most MaxRounds, and then it says it is not stable.
	require.NoError(t, e.rdb.FlushDB(context.Background()).Err())
	rep, err = warmer.Run(context.Background(), e.c, e.w, secret, warmer.RunOptions{Call: fastCall, UntilStable: true, MaxRounds: 2})
	require.NoError(t, err)
	assert.Len(t, rep.Rounds, 2)
	assert.False(t, rep.Stable)
	assert.EqualValues(t, 120, rep.Added())
}

func TestWarmedButNothingAppearedIsNoted(t *testing.T) {
	e := setup(t)
	// The warmer fills namespaces other than the ones configured.
	w := e.w
	w.Namespaces = []string{"elsewhere:*"}
	rep, err := warmer.Run(context.Background(), e.c, w, secret, warmer.RunOptions{Call: fastCall})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Notes)
	assert.Contains(t, rep.Notes[0], "the app says it warmed 170 keys but none appeared")
}

func TestCancelDuringBackoffStops(t *testing.T) {
	e := setup(t)
	e.app.SetMode(warmtest.ServerError)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := warmer.Call(ctx, e.w, secret, warmer.CallOptions{Retries: 5, Backoff: time.Hour, OnAttempt: func(attempt int, _ error) {
		if attempt == 1 {
			time.AfterFunc(50*time.Millisecond, cancel)
		}
	}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cancelled before attempt 2")
	assert.EqualValues(t, 1, e.app.Calls())
}

func TestTokenNeverInErrorsEvenWhenEchoed(t *testing.T) {
	// A proxy that echoes the request, Authorization header included.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				n, _ := conn.Read(buf)
				fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", n, buf[:n])
			}()
		}
	}()
	_, err = warmer.Call(context.Background(), config.Warmer{URL: "http://" + ln.Addr().String() + "/x"}, secret, warmer.CallOptions{Retries: -1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "502")
	assert.NotContains(t, err.Error(), secret)
	assert.Contains(t, err.Error(), "Bearer ****")
}

// A token with bytes that messages escape is redacted in its escaped
// form too, and never reaches a retry notice.
func TestTokenRedactedInEscapedFormsAndRetryNotices(t *testing.T) {
	const odd = "tok\"en\\with\u00e9bytes"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = conn.Read(make([]byte, 4096)) // the request
				body := `{"error":"bad secret ` + "tok\\\"en\\\\with\\u00e9bytes" + `"}`
				fmt.Fprintf(conn, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
			}()
		}
	}()
	var notices []string
	_, err = warmer.Call(context.Background(), config.Warmer{URL: "http://" + ln.Addr().String() + "/x"}, odd, warmer.CallOptions{Retries: 2, Backoff: time.Millisecond,
		OnAttempt: func(_ int, why error) {
			if why != nil {
				notices = append(notices, why.Error())
			}
		}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad secret ****")
	require.Len(t, notices, 2)
	_, err2 := warmer.Call(context.Background(), config.Warmer{URL: "http://" + ln.Addr().String() + "/x", TokenFile: "/run/secret"}, "abc\n", warmer.CallOptions{})
	assert.ErrorContains(t, err2, "the token from file /run/secret holds control characters")
	for _, n := range append(notices, err.Error()) {
		assert.NotContains(t, n, odd)
		assert.NotContains(t, n, `tok\"en\\with\xc3\xa9bytes`)
		assert.Contains(t, n, "****")
	}
}

func TestAnswerShapes(t *testing.T) {
	for _, tc := range []struct {
		body, want string
		warmed     int64
		errs       int64
	}{
		{`{"success":true,"warmed":170.0,"errors":["lead 4: timeout","lead 9: timeout"]}`, "", 170, 2},
		{`{"success":true}`, "", 0, 0},
		{`{"success":true,"warmed":"many"}`, "not the warmer's JSON", 0, 0},
		{`[1,2]`, "not the warmer's JSON", 0, 0},
		{`{"ok":true}`, "not the warmer's JSON", 0, 0},
	} {
		srv := newStatic(t, 200, tc.body)
		res, err := warmer.Call(context.Background(), config.Warmer{URL: srv}, "", warmer.CallOptions{Retries: -1})
		if tc.want != "" {
			assert.ErrorContains(t, err, tc.want, tc.body)
			continue
		}
		require.NoError(t, err, tc.body)
		assert.Equal(t, tc.warmed, res.Answer.Warmed, tc.body)
		assert.Equal(t, tc.errs, res.Answer.Errors, tc.body)
	}
}

// newStatic serves body with status on every path.
func newStatic(t *testing.T, status int, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/cron/cache-warming"
}

func TestCancelledRunSaysTheAfterCountIsUnknown(t *testing.T) {
	e := setup(t)
	e.app.SetMode(warmtest.Hang)
	ctx, cancel := context.WithCancel(context.Background())
	rep, err := warmer.Run(ctx, e.c, e.w, secret, warmer.RunOptions{Call: warmer.CallOptions{OnAttempt: func(int, error) {
		time.AfterFunc(50*time.Millisecond, cancel)
	}}})
	require.Error(t, err)
	require.Len(t, rep.Rounds, 1)
	for _, ns := range rep.Namespaces {
		assert.EqualValues(t, warmer.NotCounted, ns.After, ns.Pattern)
		assert.Zero(t, ns.Added)
	}
	require.NotEmpty(t, rep.Notes)
	assert.Contains(t, rep.Notes[0], "the keys after round 1 were not counted")
	noLeak(t, rep, err)
}
