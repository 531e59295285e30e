package redisops

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/policy"
)

// FixTTLOptions shape `policy fix --ttl`.
type FixTTLOptions struct {
	Policy   *policy.Policy
	Governor *Governor // optional: Wait before each batch (and each SCAN call)
	Rate     int       // keys changed per second; 0 = unpaced
	DryRun   bool      // count only
	Progress func(FixTTLProgress)
}

// FixTTLProgress is how far a TTL fix has got.
type FixTTLProgress struct {
	Scanned, Matched, Set int64
	Elapsed               time.Duration
}

// FixTTLResult sums up a TTL fix. Matched keys lacked a TTL or had one
// above the policy when scanned; Set of them were changed. The others
// changed meanwhile (the app rewrote them with a TTL, or they expired): a
// conditional PEXPIRE left them alone.
type FixTTLResult struct {
	Scanned, MissingTTL, AboveTTL, Set int64
	Duration                           time.Duration
	Cancelled                          bool
}

// FixTTL gives the keys of every policy namespace that has a TTL one that
// follows it: a key without expiry gets PEXPIRE ... NX, a key whose
// remaining TTL is above the policy (plus tolerance) gets PEXPIRE ... LT,
// so that a key the app rewrote in between is never lengthened nor
// changed when it now has an expiry. The new TTLs are spread over the last
// ttl_tolerance of the namespace's TTL (a 5 m namespace with 10%: 4m30s to
// 5m) so that the keys fixed together do not expire together. It walks
// each namespace's patterns with SCAN MATCH and PTTL, only touching keys
// the policy assigns to that namespace (lead:* does not take
// lead:1:enrichment from its own namespace).
func (c *Client) FixTTL(ctx context.Context, o FixTTLOptions) (*FixTTLResult, error) {
	if o.Policy == nil {
		return nil, errors.New("policy fix: no policy")
	}
	start := time.Now()
	res := &FixTTLResult{}
	work := context.WithoutCancel(ctx) // a batch sent completes, so counts stay exact
	var last time.Time
	report := func(force bool) {
		if o.Progress != nil && (force || time.Since(last) >= memProgressEvery) {
			last = time.Now()
			o.Progress(FixTTLProgress{Scanned: res.Scanned, Matched: res.MissingTTL + res.AboveTTL, Set: res.Set, Elapsed: time.Since(start)})
		}
	}
	rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), 0x77))
	var sent int64 // PEXPIREs sent, for --rate
	var runErr error
	rules := o.Policy.Rules()
rules:
	for i, r := range rules {
		if r.NeverCache || r.TTL <= 0 {
			continue
		}
		limit := o.Policy.TTLLimit(i)
		spread := time.Duration(float64(r.TTL) * o.Policy.TTLTolerance)
		for _, pat := range o.Policy.Patterns(i) {
			if ctx.Err() != nil {
				break rules
			}
			_, err := c.Scan(ctx, ScanOptions{Match: pat, WithMeta: true, Governor: o.Governor}, func(batch []ScannedKey) error {
				type change struct {
					key string
					nx  bool
				}
				var todo []change
				for _, k := range batch {
					if o.Policy.Match(k.Key) != i {
						continue // another rule's key (or one checked under it)
					}
					res.Scanned++
					switch {
					case k.TTL == -1:
						res.MissingTTL++
						todo = append(todo, change{k.Key, true})
					case k.TTL >= 0 && time.Duration(k.TTL)*time.Millisecond > limit:
						res.AboveTTL++
						todo = append(todo, change{k.Key, false})
					}
				}
				if o.DryRun || len(todo) == 0 {
					report(false)
					return nil
				}
				if ctx.Err() != nil {
					return ErrStopScan
				}
				// With a rate, about ten pipelines a second instead of one
				// burst per SCAN batch.
				chunk := len(todo)
				if o.Rate > 0 {
					chunk = max(1, min(chunk, o.Rate/10))
				}
				for len(todo) > 0 {
					part := todo[:min(chunk, len(todo))]
					todo = todo[len(part):]
					sent += int64(len(part))
					if err := waitTurn(ctx, o.Governor, o.Rate, sent, start); err != nil {
						return ErrStopScan
					}
					pipe := c.rdb.Pipeline()
					cmds := make([]*redis.IntCmd, len(part))
					for j, ch := range part {
						ttl := r.TTL
						if spread > 0 {
							ttl -= time.Duration(rng.Int64N(int64(spread)))
						}
						cond := "LT"
						if ch.nx {
							cond = "NX"
						}
						cmds[j] = redis.NewIntCmd(work, "pexpire", ch.key, ttl.Milliseconds(), cond)
						_ = pipe.Process(work, cmds[j])
					}
					_, _ = pipe.Exec(work)
					for _, cmd := range cmds {
						if err := cmd.Err(); err != nil {
							return fmt.Errorf("pexpire: %w", explainCommandErr(err, "PEXPIRE"))
						}
						res.Set += cmd.Val()
					}
				}
				report(false)
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				runErr = err
				break rules
			}
		}
	}
	res.Duration = time.Since(start)
	res.Cancelled = ctx.Err() != nil && runErr == nil
	report(true)
	return res, runErr
}
