package redisops

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// TTLSpreadOptions shape a TTL spread: each key matching Patterns gets
// TTL plus a random jitter in [0, Jitter], so keys written together by a
// warm-up stop expiring together (a thundering herd on the app).
type TTLSpreadOptions struct {
	Patterns []string
	TTL      time.Duration // the policy TTL, at least 1 ms
	Jitter   time.Duration // the most added to TTL; 0 for none
	// IncludePersistent also gives a TTL to keys that have none. Without
	// it they are left alone (PEXPIRE … XX).
	IncludePersistent bool
	Rate              int       // keys per second; 0 = paced by the governor alone
	Governor          *Governor // optional: Wait before each batch
	Batch             int       // keys per pipeline, default DefaultInvalidateBatch
	Progress          func(TTLSpreadResult)
	// Rand draws the jitter (default: math/rand/v2's global source).
	Rand func(n int64) int64
}

// TTLSpreadResult counts what a spread did.
type TTLSpreadResult struct {
	Matched int64 // distinct keys found by SCAN MATCH over the patterns
	Updated int64 // keys given a new TTL
	// Skipped keys had no TTL (without IncludePersistent) or were gone by
	// the time their PEXPIRE ran.
	Skipped   int64
	MinTTL    time.Duration // the smallest and largest TTL set
	MaxTTL    time.Duration
	Duration  time.Duration
	Cancelled bool
}

// TTLSpreadPreview is what a spread would touch, read with SCAN MATCH
// and PTTL; nothing is written.
type TTLSpreadPreview struct {
	Patterns   []string
	Matched    int64
	WithTTL    int64
	Persistent int64
	// ExpiresFirst and ExpiresLast bound the remaining TTLs of the keys
	// that have one: a narrow gap is the herd the spread breaks up.
	ExpiresFirst, ExpiresLast time.Duration
	Sample                    []string
	Warnings                  []string
}

func checkSpread(o TTLSpreadOptions) error {
	if err := checkPatterns(o.Patterns); err != nil {
		return errors.New("ttl spread: no pattern, or an empty one")
	}
	if o.TTL < time.Millisecond {
		return errors.New("ttl spread: the TTL must be at least 1ms")
	}
	if o.Jitter < 0 {
		return errors.New("ttl spread: the jitter must not be negative")
	}
	return nil
}

// PreviewTTLSpread counts the keys the patterns match and reads their
// TTLs (pipelined PTTL per batch), paced by gov (nil: unpaced).
func (c *Client) PreviewTTLSpread(ctx context.Context, patterns []string, sample int, gov *Governor) (*TTLSpreadPreview, error) {
	if err := checkPatterns(patterns); err != nil {
		return nil, errors.New("ttl spread: no pattern, or an empty one")
	}
	p := &TTLSpreadPreview{Patterns: patterns, Warnings: PatternWarnings(patterns), ExpiresFirst: -1}
	var seen *seenSet
	if len(patterns) > 1 {
		seen = newSeenSet()
		defer seen.release()
	}
	for _, pat := range patterns {
		err := c.walkPattern(ctx, ScanOptions{Match: pat, Governor: gov}, func(batch []ScannedKey) error {
			keys := make([]string, 0, len(batch))
			for _, k := range batch {
				if seen == nil || seen.add(k.Key) {
					keys = append(keys, k.Key)
				}
			}
			pipe := c.rdb.Pipeline()
			ttls := make([]*redis.DurationCmd, len(keys))
			for i, k := range keys {
				ttls[i] = pipe.PTTL(ctx, k)
			}
			if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
				return fmt.Errorf("ttl spread preview: %w", explainCommandErr(err, "PTTL"))
			}
			for i, k := range keys {
				switch ms := ttlMillis(ttls[i].Val()); {
				case ms == -2:
					continue // gone meanwhile
				case ms == -1:
					p.Persistent++
				default:
					d := time.Duration(ms) * time.Millisecond
					p.WithTTL++
					if p.ExpiresFirst < 0 || d < p.ExpiresFirst {
						p.ExpiresFirst = d
					}
					p.ExpiresLast = max(p.ExpiresLast, d)
				}
				p.Matched++
				if len(p.Sample) < sample {
					p.Sample = append(p.Sample, k)
				}
			}
			return nil
		})
		if err != nil {
			return p, err
		}
	}
	if p.ExpiresFirst < 0 {
		p.ExpiresFirst = 0
	}
	return p, nil
}

// TTLSpread sets the TTL of every key matching the patterns to TTL plus
// a random jitter: SCAN MATCH on every master and one pipeline of PEXPIRE
// per batch (with XX unless IncludePersistent, so a key without TTL keeps
// none), paced by the governor and Rate. Cancelling ctx stops before the
// next batch; the batch in flight finishes and the counts stay exact.
// PEXPIRE … XX needs Redis 7.0 or Valkey; an older server refuses it and
// the error says so.
func (c *Client) TTLSpread(ctx context.Context, o TTLSpreadOptions) (*TTLSpreadResult, error) {
	if err := checkSpread(o); err != nil {
		return nil, err
	}
	if o.Batch <= 0 {
		o.Batch = DefaultInvalidateBatch
	}
	if o.Rate > 0 {
		o.Batch = max(1, min(o.Batch, o.Rate/10))
	}
	draw := o.Rand
	if draw == nil {
		draw = rand.Int64N
	}
	start := time.Now()
	res := &TTLSpreadResult{}
	var seen *seenSet
	if len(o.Patterns) > 1 {
		seen = newSeenSet()
		defer seen.release()
	}
	var lastProgress time.Time
	report := func(force bool) {
		if o.Progress != nil && (force || time.Since(lastProgress) >= memProgressEvery) {
			lastProgress = time.Now()
			r := *res
			r.Duration = time.Since(start)
			o.Progress(r)
		}
	}
	work := context.WithoutCancel(ctx) // a batch sent completes: exact counts
	var runErr error
	for _, pat := range o.Patterns {
		if ctx.Err() != nil {
			break
		}
		err := c.walkPattern(ctx, ScanOptions{Match: pat, Governor: o.Governor}, func(batch []ScannedKey) error {
			fresh := make([]string, 0, len(batch))
			for _, k := range batch {
				if seen == nil || seen.add(k.Key) {
					fresh = append(fresh, k.Key)
				}
			}
			for len(fresh) > 0 {
				if ctx.Err() != nil {
					return ErrStopScan
				}
				n := min(len(fresh), o.Batch)
				part := fresh[:n]
				fresh = fresh[n:]
				if err := waitTurn(ctx, o.Governor, o.Rate, res.Matched+int64(n), start); err != nil {
					return ErrStopScan
				}
				res.Matched += int64(n)
				if err := c.pexpireBatch(work, part, o, draw, res); err != nil {
					return err
				}
				report(false)
			}
			return nil
		})
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			runErr = err
			break
		}
	}
	res.Duration = time.Since(start)
	res.Cancelled = ctx.Err() != nil && runErr == nil
	report(true)
	return res, runErr
}

// pexpireBatch sends one pipeline of PEXPIREs and counts the replies. A
// lost reply is sent again: setting a TTL twice is harmless.
func (c *Client) pexpireBatch(ctx context.Context, keys []string, o TTLSpreadOptions, draw func(int64) int64, res *TTLSpreadResult) error {
	type item struct {
		key string
		ttl time.Duration
	}
	items := make([]item, len(keys))
	for i, k := range keys {
		ttl := o.TTL
		if o.Jitter > 0 {
			ttl += time.Duration(draw(int64(o.Jitter/time.Millisecond)+1)) * time.Millisecond
		}
		items[i] = item{k, ttl.Truncate(time.Millisecond)}
	}
	for attempt := 0; len(items) > 0; attempt++ {
		pipe := c.rdb.Pipeline()
		cmds := make([]*onceIntCmd, len(items))
		for i, it := range items {
			args := []any{"pexpire", it.key, it.ttl.Milliseconds()}
			if !o.IncludePersistent {
				args = append(args, "xx")
			}
			cmds[i] = &onceIntCmd{IntCmd: redis.NewIntCmd(ctx, args...)}
			_ = pipe.Process(ctx, cmds[i])
		}
		_, _ = pipe.Exec(ctx)
		var lost []item
		var lostErr, refused error
		for i, cmd := range cmds {
			switch err := cmd.Err(); {
			case err == nil && cmd.Val() == 1:
				res.Updated++
				if res.MinTTL == 0 || items[i].ttl < res.MinTTL {
					res.MinTTL = items[i].ttl
				}
				res.MaxTTL = max(res.MaxTTL, items[i].ttl)
			case err == nil:
				res.Skipped++
			case replyLost(err):
				lost, lostErr = append(lost, items[i]), err
			case refused == nil:
				refused = err
			}
		}
		if refused != nil {
			if strings.Contains(refused.Error(), "wrong number of arguments") || strings.Contains(refused.Error(), "syntax") {
				return errors.New("ttl spread: the server refused PEXPIRE … XX (it needs Redis 7.0+ or Valkey); --include-persistent sends a plain PEXPIRE")
			}
			return fmt.Errorf("ttl spread: %w", explainCommandErr(refused, "PEXPIRE"))
		}
		if len(lost) > 0 && attempt == maxResends {
			return fmt.Errorf("ttl spread: %w: the replies for %d keys were lost (run again: a TTL set twice is harmless)", lostErr, len(lost))
		}
		if len(lost) > 0 {
			if err := resendPause(ctx, attempt+1); err != nil {
				return err
			}
		}
		items = lost
	}
	return nil
}
