package redisops_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/coldcopy/cachedeck/redisops"
)

func TestScratchMemory(t *testing.T) {
	url := os.Getenv("SCRATCH_URL")
	if url == "" {
		t.Skip()
	}
	c := connect(t, redisops.ConnOptions{URL: url})
	for _, o := range []redisops.MemoryOptions{{Exact: true}} {
		cpu0 := srvCPU(c)
		start := time.Now()
		r, err := c.MemoryBreakdown(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v: %v scanned %d measured %d total %d bytes %d ns %d", o, time.Since(start), r.ScannedKeys, r.MeasuredKeys, r.TotalKeys, r.TotalBytes, len(r.Namespaces))
		t.Logf("server cpu %.2f", srvCPU(c)-cpu0)
		for _, n := range r.Namespaces[:3] {
			t.Logf("  %+v", n)
		}
	}
}

func srvCPU(c *redisops.Client) float64 {
	m := c.Redis().InfoMap(context.Background(), "cpu").Val()["CPU"]
	a, _ := strconv.ParseFloat(m["used_cpu_sys"], 64)
	b, _ := strconv.ParseFloat(m["used_cpu_user"], 64)
	return a + b
}
