package dobackend_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/internal/dotest"
)

func oneLine(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, "\n")
	assert.NotContains(t, msg, dotest.Token)
	return msg
}

func TestErrorsNameTheCauseAndTheRemedy(t *testing.T) {
	api := dotest.New(t)
	ctx := context.Background()

	bad, err := dobackend.New(dobackend.Options{Token: dobackend.NewToken("dop_v1_wrong", "test"), BaseURL: api.BaseURL()})
	require.NoError(t, err)
	_, err = bad.Clusters(ctx)
	msg := oneLine(t, err)
	assert.True(t, dobackend.IsKind(err, dobackend.KindUnauthorized))
	assert.Contains(t, msg, "401 unauthorized: the token is invalid or expired")
	assert.Contains(t, msg, "DIGITALOCEAN_TOKEN")

	c, _, _ := newClient(t, api.BaseURL())
	api.FailNext("/v2/databases", 1, dotest.Failure{Status: 403})
	_, err = c.Clusters(ctx)
	msg = oneLine(t, err)
	assert.Contains(t, msg, "403 forbidden: the token lacks the database scope")

	_, err = c.Get(ctx, "00000000-0000-0000-0000-000000000000")
	msg = oneLine(t, err)
	assert.Contains(t, msg, "404 not found: no such cluster")
	assert.Contains(t, msg, "cachedeck do clusters")

	err = c.Resize(ctx, dotest.CacheID, "db-s-9vcpu-99gb", 1)
	msg = oneLine(t, err)
	assert.True(t, dobackend.IsKind(err, dobackend.KindUnprocessable))
	assert.Contains(t, msg, "422 refused by the API: invalid size: db-s-9vcpu-99gb is not offered for valkey in nyc1")
}

func TestRateLimitWaitsForRetryAfterThenSucceeds(t *testing.T) {
	api := dotest.New(t)
	c, sl, notes := newClient(t, api.BaseURL())
	api.FailNext("/v2/databases/options", 2, dotest.Failure{Status: 429, Headers: map[string]string{"Retry-After": "7"}})
	_, err := c.Options(context.Background(), "valkey")
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second}, sl.all())
	require.Len(t, *notes, 2)
	assert.Contains(t, (*notes)[0], "rate limited by the API, waiting 7s (try 2 of 4)")
}

func TestRateLimitWaitsForTheResetWithoutRetryAfter(t *testing.T) {
	api := dotest.New(t)
	c, sl, _ := newClient(t, api.BaseURL())
	reset := time.Now().Add(20 * time.Second).Unix()
	api.FailNext("/v2/databases/options", 1, dotest.Failure{Status: 429, Headers: map[string]string{"RateLimit-Reset": strconv.FormatInt(reset, 10)}})
	_, err := c.Options(context.Background(), "valkey")
	require.NoError(t, err)
	waits := sl.all()
	require.Len(t, waits, 1)
	assert.InDelta(t, 20, waits[0].Seconds(), 2)
}

func TestRateLimitLongerThanTheBoundFailsAtOnce(t *testing.T) {
	api := dotest.New(t)
	c, sl, _ := newClient(t, api.BaseURL())
	reset := time.Now().Add(40 * time.Minute)
	api.FailNext("/v2/databases", 1, dotest.Failure{Status: 429, Headers: map[string]string{
		"Retry-After": "2400", "RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}})
	_, err := c.Clusters(context.Background())
	msg := oneLine(t, err)
	assert.Empty(t, sl.all(), "no wait past the bound")
	assert.Contains(t, msg, "429 rate limited: the API asks to wait 40m0s, longer than cachedeck waits (1m0s)")
	assert.Contains(t, msg, "try again after "+reset.UTC().Format("15:04:05")+" UTC")
}

func TestServerErrorsAreRetriedWithBackoffThenReported(t *testing.T) {
	api := dotest.New(t)
	c, sl, _ := newClient(t, api.BaseURL())
	api.FailNext("/v2/databases/"+dotest.CacheID, 1, dotest.Failure{Status: 500})
	_, err := c.Get(context.Background(), dotest.CacheID)
	require.NoError(t, err, "one 500 then success")
	assert.Equal(t, []time.Duration{time.Second}, sl.all())

	api.FailNext("/v2/databases/"+dotest.CacheID, 10, dotest.Failure{Status: 503})
	_, err = c.Get(context.Background(), dotest.CacheID)
	msg := oneLine(t, err)
	assert.Contains(t, msg, "503 server error")
	assert.Contains(t, msg, "after 4 tries")
	assert.Contains(t, msg, "try again later")
	assert.Equal(t, []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second}, sl.all(), "doubling backoff, bounded tries")
}

func TestAResizeIsNotResentAfterAServerError(t *testing.T) {
	api := dotest.New(t)
	c, _, _ := newClient(t, api.BaseURL())
	api.FailNext("/v2/databases/"+dotest.CacheID+"/resize", 1, dotest.Failure{Status: 500})
	err := c.Resize(context.Background(), dotest.CacheID, "db-s-2vcpu-4gb", 1)
	msg := oneLine(t, err)
	assert.Contains(t, msg, "500 server error")
	assert.Contains(t, msg, "may have been accepted")
	assert.Equal(t, 1, api.Count("PUT", "/v2/databases/"+dotest.CacheID+"/resize"))
	assert.Contains(t, msg, "request id c1ae0f7e")
}

func TestTimeoutsAreRetriedAndBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c, sl, _ := newClient(t, srv.URL, func(o *dobackend.Options) { o.RequestTimeout = 20 * time.Millisecond; o.Retries = 2 })
	_, err := c.Clusters(context.Background())
	msg := oneLine(t, err)
	assert.True(t, dobackend.IsKind(err, dobackend.KindTimeout), msg)
	assert.Contains(t, msg, "no answer (timed out) after 3 tries: check the network")
	assert.Len(t, sl.all(), 2)
}

func TestConnectionRefusedIsOneLine(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c, _, _ := newClient(t, base, func(o *dobackend.Options) { o.Retries = -1 })
	_, err := c.Clusters(context.Background())
	msg := oneLine(t, err)
	assert.Contains(t, msg, "no answer (connection failed")
}

func TestCancelStopsARateLimitWait(t *testing.T) {
	api := dotest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	c, _, _ := newClient(t, api.BaseURL(), func(o *dobackend.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return errors.New("cancelled") }
	})
	api.FailNext("/v2/databases", 1, dotest.Failure{Status: 429, Headers: map[string]string{"Retry-After": "5"}})
	_, err := c.Clusters(ctx)
	assert.True(t, dobackend.IsKind(err, dobackend.KindCancelled), "%v", err)
}

// An API that echoes the Authorization header into its messages: the token
// must still never reach an error or a note.
func TestTheTokenNeverReachesErrorsOrNotes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		status := http.StatusUnprocessableEntity
		if r.URL.Path == "/v2/databases" {
			status = http.StatusServiceUnavailable
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"you sent %s","request_id":"%s"}`, auth, strings.TrimPrefix(auth, "Bearer "))
	}))
	defer srv.Close()
	c, _, notes := newClient(t, srv.URL)
	_, err := c.Clusters(context.Background())
	oneLine(t, err)
	err = c.SetEvictionPolicy(context.Background(), "x", "noeviction")
	msg := oneLine(t, err)
	assert.Contains(t, msg, "you sent Bearer [token]")
	for _, n := range *notes {
		assert.NotContains(t, n, dotest.Token)
	}
	tok := dobackend.NewToken(dotest.Token, "DIGITALOCEAN_TOKEN")
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok)} {
		assert.NotContains(t, s, dotest.Token)
	}
}

// A redirect is not followed: the token would go along to wherever it
// points.
func TestRedirectsAreNotFollowedWithTheToken(t *testing.T) {
	var leaked string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`{"databases":[]}`))
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	c, _, _ := newClient(t, api.URL)
	_, err := c.Clusters(context.Background())
	msg := oneLine(t, err)
	assert.Contains(t, msg, "302 Found")
	assert.Empty(t, leaked)
}
