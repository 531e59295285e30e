package redistest_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// client is a go-redis client closed at the end of the test. Retries are off
// so that each error is the first one, as the recorded texts assume.
func client(t *testing.T, opt *redis.Options) *redis.Client {
	t.Helper()
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}
