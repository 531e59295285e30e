package redisops_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/redisops"
)

// connect opens a client on url and closes it when the test ends.
func connect(t testing.TB, o redisops.ConnOptions) *redisops.Client {
	t.Helper()
	if o.DB == 0 {
		o.DB = -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := redisops.Connect(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// scanAll collects every key a scan returns, in order.
func scanAll(t testing.TB, c *redisops.Client, o redisops.ScanOptions) ([]redisops.ScannedKey, redisops.ScanResult) {
	t.Helper()
	var keys []redisops.ScannedKey
	res, err := c.Scan(context.Background(), o, func(batch []redisops.ScannedKey) error {
		keys = append(keys, batch...)
		return nil
	})
	require.NoError(t, err)
	return keys, res
}

func itoa(n int) string { return fmt.Sprint(n) }
