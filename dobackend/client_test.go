package dobackend_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/internal/dotest"
)

// sleeps records the waits the client asks for instead of sleeping.
type sleeps struct {
	mu  sync.Mutex
	got []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.got = append(s.got, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.got...)
}

func newClient(t *testing.T, base string, mod ...func(*dobackend.Options)) (*dobackend.Client, *sleeps, *[]string) {
	t.Helper()
	sl := &sleeps{}
	var notes []string
	var mu sync.Mutex
	o := dobackend.Options{
		Token: dobackend.NewToken(dotest.Token, "test"), BaseURL: base, Sleep: sl.sleep,
		Notify: func(s string) { mu.Lock(); notes = append(notes, s); mu.Unlock() },
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := dobackend.New(o)
	require.NoError(t, err)
	return c, sl, &notes
}

func TestClustersFollowsEveryPageAndKeepsCacheEnginesOnly(t *testing.T) {
	api := dotest.New(t)
	c, _, _ := newClient(t, api.BaseURL())
	got, err := c.Clusters(context.Background())
	require.NoError(t, err)
	require.Len(t, got, 2, "the postgres cluster is left out")
	assert.Equal(t, "coldcopy-cache", got[0].Name)
	assert.Equal(t, "valkey", got[0].Engine)
	assert.Equal(t, "db-s-1vcpu-1gb", got[0].Size)
	assert.Equal(t, 1, got[0].Nodes)
	assert.Equal(t, []string{"production", "coldcopy"}, got[0].Tags)
	assert.Equal(t, "coldcopy-staging", got[1].Name, "from page 2")
	assert.Equal(t, "redis", got[1].Engine)
	assert.Equal(t, 2, got[1].Nodes)
	assert.True(t, got[1].Maintenance.Pending)
	assert.Equal(t, 2, api.Count("GET", "/v2/databases"), "both pages, no more")

	// The password is held for connecting but never serialised, and the
	// URI shown has none.
	assert.Equal(t, "RECORDED-PASSWORD-1", got[0].Password(false))
	out, err := json.Marshal(got)
	require.NoError(t, err)
	assert.NotContains(t, string(out), "RECORDED-PASSWORD")
	assert.Equal(t, "rediss://default@coldcopy-cache-do-user-1234-0.f.db.ondigitalocean.com:25061", got[0].Public.URI)
	assert.NotContains(t, fmt.Sprintf("%+v %#v", got[0], got[0]), "RECORDED-PASSWORD")
}

func TestListWithoutLinksStopsOnAPageOfNothingNew(t *testing.T) {
	// A server that ignores ?page and sends no links: one request, no loop.
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		dbs := make([]map[string]any, 200)
		for i := range dbs {
			dbs[i] = map[string]any{"id": fmt.Sprint(i), "name": fmt.Sprintf("c%03d", i), "engine": "valkey"}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"databases": dbs})
	}))
	defer srv.Close()
	c, _, _ := newClient(t, srv.URL)
	got, err := c.Clusters(context.Background())
	require.NoError(t, err)
	assert.Len(t, got, 200)
	assert.Equal(t, 2, n, "a full page asks for the next; the repeat ends it")
}

func TestFindGetCAFirewallEviction(t *testing.T) {
	api := dotest.New(t)
	c, _, _ := newClient(t, api.BaseURL())
	ctx := context.Background()
	cl, err := c.Find(ctx, "coldcopy-cache")
	require.NoError(t, err)
	assert.Equal(t, dotest.CacheID, cl.ID)
	assert.Equal(t, "tuesday", cl.Maintenance.Day)
	priv, err := cl.Endpoint(true)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(priv.Host, "private-"))

	_, err = c.Find(ctx, "nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no Redis/Valkey cluster named "nope"`)
	assert.Contains(t, err.Error(), "coldcopy-cache, coldcopy-staging")

	ca, err := c.CA(ctx, cl.ID)
	require.NoError(t, err)
	assert.Contains(t, string(ca), "-----BEGIN CERTIFICATE-----")

	fw, err := c.Firewall(ctx, cl.ID)
	require.NoError(t, err)
	assert.Equal(t, []dobackend.FirewallRule{{Type: "tag", Value: "coldcopy-app"}, {Type: "ip_addr", Value: "203.0.113.7"}}, fw)

	p, err := c.EvictionPolicy(ctx, cl.ID)
	require.NoError(t, err)
	assert.Equal(t, "allkeys_lru", p)
	require.NoError(t, c.SetEvictionPolicy(ctx, cl.ID, "volatile_ttl"))
	assert.Equal(t, "volatile_ttl", api.Eviction(cl.ID))
	assert.NotEmpty(t, c.RateNote())
	assert.Contains(t, c.RateNote(), "of 5000 requests left this hour")
}

func TestNormalizePolicy(t *testing.T) {
	for in, want := range map[string]string{"allkeys-lru": "allkeys_lru", "ALLKEYS_LRU": "allkeys_lru", "noeviction": "noeviction", " volatile-ttl ": "volatile_ttl"} {
		got, err := dobackend.NormalizePolicy(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	_, err := dobackend.NormalizePolicy("lfu")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "allkeys_lru")
}

func TestOptionsValkeyThenRedis(t *testing.T) {
	api := dotest.New(t)
	c, _, _ := newClient(t, api.BaseURL())
	o, err := c.Options(context.Background(), "valkey")
	require.NoError(t, err)
	assert.Equal(t, "valkey", o.Engine)
	assert.True(t, o.Offers("db-s-16vcpu-64gb", 3))
	assert.False(t, o.Offers("db-s-1vcpu-1gb", 3))

	api.SetOptionsFile("options_redis_only.json")
	o, err = c.Options(context.Background(), "valkey")
	require.NoError(t, err)
	assert.Equal(t, "redis", o.Engine, "an account without valkey options falls back to redis")
	assert.False(t, o.Offers("db-s-16vcpu-64gb", 1))
}

func TestResizeThenWaitUntilOnlineWithTheNewSize(t *testing.T) {
	api := dotest.New(t)
	api.SetPhases(2, 3)
	c, sl, _ := newClient(t, api.BaseURL())
	ctx := context.Background()
	require.NoError(t, c.Resize(ctx, dotest.CacheID, "db-s-2vcpu-4gb", 2))
	reqs := api.Requests()
	last := reqs[len(reqs)-1]
	assert.Equal(t, "PUT", last.Method)
	assert.Equal(t, "/v2/databases/"+dotest.CacheID+"/resize", last.Path)
	assert.JSONEq(t, `{"size":"db-s-2vcpu-4gb","num_nodes":2}`, last.Body)

	var seen []string
	cl, err := c.WaitResized(ctx, dotest.CacheID, "db-s-2vcpu-4gb", 2, dobackend.WaitOptions{Interval: 10 * time.Second,
		Progress: func(c *dobackend.Cluster, _ time.Duration) { seen = append(seen, c.Status+" "+c.Size) }})
	require.NoError(t, err)
	assert.Equal(t, "online", cl.Status)
	assert.Equal(t, 2, cl.Nodes)
	// online at the old size right after the 202 is not "done".
	assert.Equal(t, []string{
		"online db-s-1vcpu-1gb", "online db-s-1vcpu-1gb",
		"resizing db-s-1vcpu-1gb", "resizing db-s-1vcpu-1gb", "resizing db-s-1vcpu-1gb",
		"online db-s-2vcpu-4gb",
	}, seen)
	assert.Equal(t, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}, sl.all())
}

func TestWaitIsBoundedAndCancellableAndLeavesTheResizeAlone(t *testing.T) {
	api := dotest.New(t)
	api.SetPhases(0, 1000)
	c, _, _ := newClient(t, api.BaseURL())
	require.NoError(t, c.Resize(context.Background(), dotest.CacheID, "db-s-2vcpu-4gb", 1))

	// Bounded: the recorded sleeps add up to no real time, so the bound is
	// reached by elapsed wall time only when Timeout is tiny.
	_, err := c.WaitResized(context.Background(), dotest.CacheID, "db-s-2vcpu-4gb", 1, dobackend.WaitOptions{Interval: time.Millisecond, Timeout: time.Nanosecond})
	require.ErrorIs(t, err, dobackend.ErrWaitTimeout)
	assert.Contains(t, err.Error(), "still resizing")
	assert.Contains(t, err.Error(), "cachedeck do show coldcopy-cache")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.WaitResized(ctx, dotest.CacheID, "db-s-2vcpu-4gb", 1, dobackend.WaitOptions{})
	require.ErrorIs(t, err, dobackend.ErrWaitTimeout)
	assert.Contains(t, err.Error(), "wait cancelled")
	_, _, status := api.Cluster(dotest.CacheID)
	assert.Equal(t, "resizing", status, "stopping the wait does not stop the resize")
}

func TestResizeRefusesBadNodeCountsBeforeSending(t *testing.T) {
	api := dotest.New(t)
	c, _, _ := newClient(t, api.BaseURL())
	for _, n := range []int{0, 4} {
		err := c.Resize(context.Background(), dotest.CacheID, "db-s-2vcpu-4gb", n)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "1 to 3 nodes")
	}
	assert.Zero(t, api.Count("PUT", "/v2/databases/"+dotest.CacheID+"/resize"))
}

func TestCheckBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                            dobackend.DefaultBaseURL,
		"https://api.example.com/v2/": "https://api.example.com/",
		"http://127.0.0.1:8080":       "http://127.0.0.1:8080/",
		"http://[::1]:9/":             "http://[::1]:9/",
		"http://localhost:1234/x":     "http://localhost:1234/",
	} {
		got, err := dobackend.CheckBaseURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, why := range map[string]string{
		"http://10.0.0.5:8080/":          "plain http is allowed only to loopback",
		"http://api.digitalocean.com/":   "plain http is allowed only to loopback",
		"ftp://x/":                       "scheme must be https",
		"api.digitalocean.com":           "is not a URL",
		"https://user:pw@api.example/":   "must not carry credentials",
		"http://127.0.0.1.evil.example/": "plain http is allowed only to loopback",
	} {
		_, err := dobackend.CheckBaseURL(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), why, in)
	}
}

func TestWaitRidesOutAFailedPollButNotAMissingCluster(t *testing.T) {
	api := dotest.New(t)
	api.SetPhases(0, 1)
	c, _, _ := newClient(t, api.BaseURL())
	ctx := context.Background()
	require.NoError(t, c.Resize(ctx, dotest.CacheID, "db-s-2vcpu-4gb", 1))
	// One whole poll fails (4 tries of 503), the next ones see the end.
	api.FailNext("/v2/databases/"+dotest.CacheID, 4, dotest.Failure{Status: 503})
	cl, err := c.WaitResized(ctx, dotest.CacheID, "db-s-2vcpu-4gb", 1, dobackend.WaitOptions{Interval: time.Second})
	require.NoError(t, err)
	assert.Equal(t, "online", cl.Status)

	require.NoError(t, c.Resize(ctx, dotest.StagingID, "db-s-4vcpu-8gb", 2))
	api.FailNext("/v2/databases/"+dotest.StagingID, 1, dotest.Failure{Status: 404})
	_, err = c.WaitResized(ctx, dotest.StagingID, "db-s-4vcpu-8gb", 2, dobackend.WaitOptions{Interval: time.Second})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "404 not found")
	assert.Contains(t, err.Error(), "the resize goes on")
}

func TestCancellingDuringAResizeRequestStillReadsItsAnswer(t *testing.T) {
	api := dotest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	// The answer arrives after ctx ended: the resize was accepted, and the
	// caller is told so rather than "cancelled".
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		time.Sleep(50 * time.Millisecond)
		api.Config.Handler.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	c, _, _ := newClient(t, proxy.URL)
	require.NoError(t, c.Resize(ctx, dotest.CacheID, "db-s-2vcpu-4gb", 1))
	assert.Equal(t, 1, api.Count("PUT", "/v2/databases/"+dotest.CacheID+"/resize"))
}
