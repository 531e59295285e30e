package redisops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultInvalidateBatch is the SCAN COUNT hint and the UNLINK pipeline size.
const DefaultInvalidateBatch = 1000

// InvalidateOptions shape a pattern invalidation.
type InvalidateOptions struct {
	Patterns []string
	Rate     int       // keys per second; 0 = unpaced
	Governor *Governor // optional: Wait before each batch
	Batch    int       // default DefaultInvalidateBatch
	DryRun   bool      // count only: nothing is deleted or backed up
	// Backup, when set, receives DUMP + remaining TTL of every key of a
	// batch in one Write (and a Sync, when it has one) before the batch is
	// unlinked.
	Backup   io.Writer
	Progress func(InvalidateProgress)
}

// InvalidateProgress is how far an invalidation has got.
type InvalidateProgress struct {
	Matched, Deleted, Unconfirmed int64
	Elapsed                       time.Duration
}

// InvalidateResult sums up an invalidation, finished or cancelled.
type InvalidateResult struct {
	Patterns []string
	DryRun   bool
	Matched  int64 // distinct keys found by SCAN MATCH over every pattern
	// Deleted counts the keys UNLINK removed. Unconfirmed of them belong
	// to a batch whose reply was lost (a dropped connection): they were
	// gone when the batch was sent again, deleted by the lost UNLINK unless
	// they expired or someone else deleted them in between.
	Deleted     int64
	Unconfirmed int64
	Duration    time.Duration
	Cancelled   bool
}

// InvalidatePreview is what an invalidation would touch.
type InvalidatePreview struct {
	Patterns      []string
	Matched       int64            // exact, distinct over the patterns
	Sample        []string         // the first keys found
	Namespaces    map[string]int64 // keys per first segment ("lead:"; "" without delimiter)
	BytesEstimate int64            // MEMORY USAGE of the sample scaled to Matched; -1 unknown
	Warnings      []string
}

// PatternWarnings explains what is costly or surprising about patterns.
func PatternWarnings(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		if p != "" && strings.ContainsAny(p[:1], "*?[") {
			out = append(out, fmt.Sprintf("%q: leading wildcard: scans the whole keyspace", p))
		}
	}
	return out
}

func checkPatterns(patterns []string) error {
	if len(patterns) == 0 {
		return errors.New("invalidate: no pattern")
	}
	for _, p := range patterns {
		if p == "" {
			return errors.New("invalidate: empty pattern")
		}
	}
	return nil
}

func firstSegment(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		return key[:i+1]
	}
	return ""
}

// Preview counts the keys the patterns match (SCAN MATCH on every master,
// duplicates dropped), keeps the first sample of them, counts them per
// namespace and estimates their bytes from MEMORY USAGE of the sample.
func (c *Client) Preview(ctx context.Context, patterns []string, sample int) (*InvalidatePreview, error) {
	return c.PreviewPaced(ctx, patterns, sample, nil)
}

// PreviewPaced is Preview with its SCAN calls paced by gov (nil: unpaced).
func (c *Client) PreviewPaced(ctx context.Context, patterns []string, sample int, gov *Governor) (*InvalidatePreview, error) {
	if err := checkPatterns(patterns); err != nil {
		return nil, err
	}
	p := &InvalidatePreview{Patterns: patterns, Namespaces: map[string]int64{}, BytesEstimate: -1, Warnings: PatternWarnings(patterns)}
	var seen *seenSet // across patterns; Scan drops duplicates within one
	if len(patterns) > 1 {
		seen = newSeenSet()
		defer seen.release()
	}
	for _, pat := range patterns {
		err := c.walkPattern(ctx, ScanOptions{Match: pat, Governor: gov}, func(batch []ScannedKey) error {
			for _, k := range batch {
				if seen != nil && !seen.add(k.Key) {
					continue
				}
				p.Matched++
				if len(p.Namespaces) < DefaultMemoryNamespaces {
					p.Namespaces[firstSegment(k.Key)]++
				} else if _, ok := p.Namespaces[firstSegment(k.Key)]; ok {
					p.Namespaces[firstSegment(k.Key)]++
				} else {
					p.Namespaces[OtherNamespace]++
				}
				if len(p.Sample) < sample {
					p.Sample = append(p.Sample, k.Key)
				}
			}
			return nil
		})
		if err != nil {
			return p, err
		}
	}
	if len(p.Sample) > 0 {
		pipe := c.rdb.Pipeline()
		cmds := make([]*redis.IntCmd, len(p.Sample))
		for i, k := range p.Sample {
			cmds[i] = pipe.MemoryUsage(ctx, k)
		}
		_, _ = pipe.Exec(ctx)
		var sum, n int64
		refused := ""
		for _, cmd := range cmds {
			if v, err := cmd.Result(); err == nil {
				sum += v
				n++
			} else if r := Refusal(err); r != "" {
				refused = r
			}
		}
		switch {
		case n > 0:
			p.BytesEstimate = sum * p.Matched / n
		case refused != "":
			p.Warnings = append(p.Warnings, "bytes unknown: MEMORY USAGE "+refused)
		}
	} else if p.Matched == 0 {
		p.BytesEstimate = 0
	}
	return p, nil
}

// Invalidate deletes every key matching the patterns: SCAN MATCH on every
// master (the walk runs ahead of the deleter, so scanning and unlinking
// overlap) and one pipeline of UNLINK per batch. Deleted is the sum of the
// UNLINK replies, so it is exact: a key matched by two patterns answers 0
// the second time. The one exception is a batch whose reply was lost (see
// unlinkBatch and InvalidateResult.Unconfirmed).
// Cancelling ctx stops before the next batch; the batch in flight
// finishes, and the result comes back with Cancelled and a nil error.
// No list of keys is kept, and memory stays flat: a few batches, and a
// duplicate filter that remembers only the keys scanned ahead of the
// deleter (a key already unlinked cannot be returned by SCAN again).
// Matched counts distinct keys found; a key the application re-creates
// during the run and the scan finds again counts, and is deleted, again.
func (c *Client) Invalidate(ctx context.Context, o InvalidateOptions) (*InvalidateResult, error) {
	if err := checkPatterns(o.Patterns); err != nil {
		return nil, err
	}
	if o.Batch <= 0 {
		o.Batch = DefaultInvalidateBatch
	}
	scanCount := int64(o.Batch)
	if o.Rate > 0 {
		// Pace smoothly: about ten UNLINK batches a second. The SCAN COUNT
		// stays as it is: a tiny COUNT would multiply the round trips.
		o.Batch = max(1, min(o.Batch, o.Rate/10))
	}
	start := time.Now()
	res := &InvalidateResult{Patterns: o.Patterns, DryRun: o.DryRun}
	// Scan drops the duplicates of one pattern. A key two patterns match is
	// gone by the time the second pattern is walked, except in a dry run:
	// only then is a filter across patterns needed.
	var seen *seenSet
	if o.DryRun && len(o.Patterns) > 1 {
		seen = newSeenSet()
		defer seen.release()
	}
	var lastProgress time.Time
	report := func(force bool) {
		if o.Progress != nil && (force || time.Since(lastProgress) >= memProgressEvery) {
			lastProgress = time.Now()
			o.Progress(InvalidateProgress{Matched: res.Matched, Deleted: res.Deleted, Unconfirmed: res.Unconfirmed, Elapsed: time.Since(start)})
		}
	}
	// Work already sent must complete so that the count stays exact.
	work := context.WithoutCancel(ctx)
	var runErr error
	for _, pat := range o.Patterns {
		if ctx.Err() != nil {
			break
		}
		so := ScanOptions{Match: pat, Count: scanCount, Governor: o.Governor}
		if !o.DryRun {
			so.Remember = rememberForDeleter(int(scanCount))
		}
		err := c.walkPattern(ctx, so, func(batch []ScannedKey) error {
			if ctx.Err() != nil {
				return ErrStopScan
			}
			fresh := make([]string, 0, len(batch))
			for _, k := range batch {
				if seen == nil || seen.add(k.Key) {
					fresh = append(fresh, k.Key)
				}
			}
			for len(fresh) > 0 {
				n := min(len(fresh), o.Batch)
				part := fresh[:n]
				fresh = fresh[n:]
				if ctx.Err() != nil {
					return ErrStopScan
				}
				if !o.DryRun {
					if err := waitTurn(ctx, o.Governor, o.Rate, res.Matched+int64(n), start); err != nil {
						return ErrStopScan
					}
				}
				res.Matched += int64(len(part))
				if o.DryRun {
					continue
				}
				if o.Backup != nil {
					if err := c.backupBatch(work, o.Backup, part); err != nil {
						return err
					}
				}
				deleted, unconfirmed, err := c.unlinkBatch(work, part)
				res.Deleted += deleted
				res.Unconfirmed += unconfirmed
				if err != nil {
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

// walkPattern hands onBatch the keys matching so.Match: by SCAN MATCH on
// every master, or, for a pattern without wildcards (a recipe's exact
// id), by one EXISTS, since a SCAN would walk the whole keyspace to find
// one key.
func (c *Client) walkPattern(ctx context.Context, so ScanOptions, onBatch func([]ScannedKey) error) error {
	key, literal := literalKey(so.Match)
	if !literal {
		_, err := c.Scan(ctx, so, onBatch)
		return err
	}
	n, err := c.rdb.Exists(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("exists: %w", explainCommandErr(err, "EXISTS"))
	}
	if n == 0 {
		return nil
	}
	if err := onBatch([]ScannedKey{{Key: key}}); err != nil && !errors.Is(err, ErrStopScan) {
		return err
	}
	return nil
}

// literalKey is the key a glob pattern matches when it has no wildcard
// (*, ?, [ not escaped by a backslash), with its escapes removed.
func literalKey(pattern string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch ch := pattern[i]; ch {
		case '*', '?', '[':
			return "", false
		case '\\':
			if i+1 < len(pattern) {
				i++
			}
			b.WriteByte(pattern[i])
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), true
}

// rememberForDeleter is how many recent keys the scan's duplicate filter
// must keep when its consumer deletes every key: the walker runs ahead of
// the deleter by its channel (4 batches) plus one batch per node in hand
// and one in flight. 64 batches leave a wide margin at ~2 MiB.
func rememberForDeleter(batch int) int {
	return max(64*batch, 1<<16)
}

// waitTurn waits for the governor and for the rate limit before a batch:
// the batch is sent no earlier than sent/rate seconds after start, sent
// counting the batch itself.
func waitTurn(ctx context.Context, gov *Governor, rate int, sent int64, start time.Time) error {
	if gov != nil {
		if err := gov.Wait(ctx); err != nil {
			return err
		}
	}
	if rate > 0 {
		due := start.Add(time.Duration(float64(sent) / float64(rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// unlinkChunk is how many keys one UNLINK names on a single node: most of
// a one-key UNLINK's cost is the command itself, not the key.
const unlinkChunk = 500

// unlinkBatch unlinks keys in one pipeline and sums the replies. A single
// node gets multi-key UNLINKs; a cluster gets one UNLINK per key, since the
// keys of a batch may hash to different slots. An UNLINK whose reply is
// lost is sent again (up to maxResends times): the keys it no longer finds
// count as deleted and as unconfirmed.
func (c *Client) unlinkBatch(ctx context.Context, keys []string) (deleted, unconfirmed int64, err error) {
	var groups [][]string
	if c.cluster == nil {
		for start := 0; start < len(keys); start += unlinkChunk {
			groups = append(groups, keys[start:min(start+unlinkChunk, len(keys))])
		}
	} else {
		for i := range keys {
			groups = append(groups, keys[i:i+1])
		}
	}
	var refused error
	// unsure[i]: an earlier UNLINK of groups[i] may have run (its reply was
	// lost), so keys it no longer finds may be ours.
	unsure := make([]bool, len(groups))
	for attempt, waits := 0, 0; ; {
		pipe := c.rdb.Pipeline()
		cmds := make([]*onceIntCmd, len(groups))
		for i, g := range groups {
			args := make([]any, 0, len(g)+1)
			args = append(args, "unlink")
			for _, k := range g {
				args = append(args, k)
			}
			cmds[i] = &onceIntCmd{IntCmd: redis.NewIntCmd(ctx, args...)}
			_ = pipe.Process(ctx, cmds[i])
		}
		_, _ = pipe.Exec(ctx)
		var lost, again [][]string
		var againUnsure []bool
		var lostErr error
		for i, cmd := range cmds {
			switch err := cmd.Err(); {
			case err == nil:
				deleted += cmd.Val()
				if unsure[i] {
					gone := int64(len(groups[i])) - cmd.Val()
					deleted += gone
					unconfirmed += gone
				}
			case replyLost(err):
				lost, lostErr = append(lost, groups[i]), err
			case notRunYet(err):
				// Not run now (a restarted server loading its data): sent
				// again after a pause; an earlier attempt's fate stays open.
				again, againUnsure, lostErr = append(again, groups[i]), append(againUnsure, unsure[i]), err
			case refused == nil:
				refused = err
			}
		}
		if len(lost) > 0 {
			attempt++
		} else if len(again) > 0 {
			waits++
		}
		nextUnsure := make([]bool, len(lost), len(lost)+len(again))
		for i := range nextUnsure {
			nextUnsure[i] = true
		}
		unsure = append(nextUnsure, againUnsure...)
		lost = append(lost, again...)
		// A refusal stops the run, but only after the lost groups are
		// settled: their keys may be gone and must be counted.
		if len(lost) == 0 {
			if refused != nil {
				return deleted, unconfirmed, fmt.Errorf("unlink: %w", explainCommandErr(refused, "UNLINK"))
			}
			return deleted, unconfirmed, nil
		}
		if attempt > maxResends || waits > maxWaits {
			n := 0
			for _, g := range lost {
				n += len(g)
			}
			return deleted, unconfirmed, fmt.Errorf("unlink: %w: the replies for %d keys were lost or deferred, so whether they were deleted is unknown (run again to finish)", lostErr, n)
		}
		if err := resendPause(ctx, max(attempt, min(waits, 10))); err != nil {
			return deleted, unconfirmed, err
		}
		groups = lost
	}
}
