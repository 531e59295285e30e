package dobackend_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/dobackend"
)

const mib = 1 << 20

func fit(used, peak int64, cur, tgt dobackend.Plan) dobackend.Fit {
	return dobackend.CheckFit(dobackend.FitInput{Used: used, Peak: peak, MaxMemory: 512 * mib, Policy: "allkeys-lru", Current: cur, Target: tgt}, dobackend.Prices)
}

var (
	oneGB  = dobackend.Plan{Size: "db-s-1vcpu-1gb", Nodes: 1}
	twoGB  = dobackend.Plan{Size: "db-s-1vcpu-2gb", Nodes: 1}
	fourGB = dobackend.Plan{Size: "db-s-2vcpu-4gb", Nodes: 1}
)

func TestFitUpsizeWithRoomFits(t *testing.T) {
	f := fit(300*mib, 350*mib, oneGB, fourGB)
	assert.Equal(t, dobackend.Fits, f.Verdict, f.Reasons)
	assert.False(t, f.Downsize)
	assert.True(t, f.PricesKnown)
	assert.Equal(t, 45.0, f.CostDelta)
	assert.Contains(t, f.CostLine(oneGB, fourGB), "+$45.00/month (db-s-1vcpu-1gb x1 $15.00 → db-s-2vcpu-4gb x1 $60.00; prices of 2026-12-03, unverified)")
	assert.Contains(t, strings.Join(f.Notes, "\n"), "headroom grows from 512.0 MiB to 2.5 GiB")
}

func TestFitRefusesADownsizeWithoutTwentyPercentHeadroom(t *testing.T) {
	// 2 GiB → 1 GiB (512 MiB usable): 420 MiB used leaves 18 % free.
	f := fit(420*mib, 430*mib, twoGB, oneGB)
	require.Equal(t, dobackend.Refused, f.Verdict)
	assert.True(t, f.Downsize)
	assert.Contains(t, f.Reasons[0], "would leave 18 % free, under the 20 % headroom required")
	assert.Zero(t, f.Evicted)

	// More than it holds: say what would be evicted.
	f = fit(700*mib, 800*mib, twoGB, oneGB)
	require.Equal(t, dobackend.Refused, f.Verdict)
	assert.Equal(t, int64(188*mib), f.Evicted)
	assert.Contains(t, f.Reasons[0], "allkeys-lru would evict about 188.0 MiB of keys")
	assert.Equal(t, -15.0, f.CostDelta)

	f = dobackend.CheckFit(dobackend.FitInput{Used: 700 * mib, Policy: "noeviction", Current: twoGB, Target: oneGB}, dobackend.Prices)
	assert.Contains(t, f.Reasons[0], "writes would fail with OOM errors")
}

func TestFitWarnsWhenTight(t *testing.T) {
	// 2 GiB → 1 GiB with 380 MiB used (26 % free) and a 450 MiB peak.
	f := fit(380*mib, 450*mib, twoGB, oneGB)
	require.Equal(t, dobackend.Tight, f.Verdict)
	joined := strings.Join(f.Reasons, "\n")
	assert.Contains(t, joined, "the peak of 450.0 MiB would lack the 20 % headroom")
	assert.Contains(t, joined, "leaves 26 % of 512.0 MiB free")
	assert.Contains(t, strings.Join(f.Notes, "\n"), "cannot be resized to smaller sizes")

	// A peak above the target: evictions at such a peak.
	f = fit(300*mib, 600*mib, twoGB, oneGB)
	require.Equal(t, dobackend.Tight, f.Verdict)
	assert.Contains(t, f.Reasons[0], "allkeys-lru would evict about 88.0 MiB of keys at such a peak")
}

func TestFitNodeCountsAndUnknowns(t *testing.T) {
	f := fit(100*mib, 100*mib, dobackend.Plan{Size: "db-s-1vcpu-1gb", Nodes: 2}, oneGB)
	assert.Equal(t, dobackend.Fits, f.Verdict)
	assert.Equal(t, -15.0, f.CostDelta)
	notes := strings.Join(f.Notes, "\n")
	assert.Contains(t, notes, "no standby node left")
	assert.Contains(t, notes, "every node holds the whole data set")

	f = fit(100*mib, 100*mib, oneGB, dobackend.Plan{Size: "db-s-1vcpu-1gb", Nodes: 4})
	assert.Equal(t, dobackend.Refused, f.Verdict)

	f = fit(100*mib, 100*mib, oneGB, dobackend.Plan{Size: "so-weird", Nodes: 1})
	assert.Equal(t, dobackend.Refused, f.Verdict)
	assert.Contains(t, f.Reasons[0], "its memory is unknown")

	// A size missing from the table but named -<N>gb: memory estimated, no price.
	f = fit(100*mib, 100*mib, oneGB, dobackend.Plan{Size: "db-m-2vcpu-16gb", Nodes: 1})
	assert.Equal(t, dobackend.Fits, f.Verdict)
	assert.True(t, f.TargetUsableEstimated)
	assert.False(t, f.PricesKnown)
	assert.Contains(t, f.CostLine(oneGB, dobackend.Plan{Size: "db-m-2vcpu-16gb", Nodes: 1}), "cost change unknown")

	f = dobackend.CheckFit(dobackend.FitInput{Current: oneGB, Target: fourGB}, dobackend.Prices)
	assert.Equal(t, dobackend.Refused, f.Verdict)
	assert.Contains(t, f.Reasons[0], "used_memory is unknown")
}
