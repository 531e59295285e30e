package redisops

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ScanOptions narrows and shapes a keyspace walk.
type ScanOptions struct {
	Match string // glob, server side (MATCH); empty for all keys
	Type  string // server-side TYPE filter (Redis 6+); empty for all types
	Count int64  // COUNT hint per SCAN call; 0 means DefaultScanCount
	Limit int    // stop after this many distinct keys; 0 for no limit
	// WithMeta fills Type and TTL of every key with pipelined TYPE and PTTL,
	// overlapped with the next SCAN call.
	WithMeta bool
	// Remember bounds the duplicate filter to about the last Remember keys
	// (0: every key, ~16 bytes each). Enough for a consumer that deletes
	// what it is handed: a key gone from the server cannot come back from
	// a later SCAN call, so only the keys scanned ahead of the deleter can
	// repeat.
	Remember int
	// Governor, when set, paces every SCAN call by the node's latency: a
	// pattern that matches little would otherwise walk the whole keyspace
	// at full speed.
	Governor *Governor
}

// DefaultScanCount is big enough to amortise round trips, small enough that
// one SCAN call stays well under a millisecond of server time.
const DefaultScanCount = 1000

// ScannedKey is one key found by a scan. Key holds the exact bytes.
type ScannedKey struct {
	Key  string
	Type string // set with WithMeta or a Type filter
	TTL  int64  // milliseconds with WithMeta; -1 no TTL; -2 the key vanished meanwhile
}

// ScanResult sums up a finished (or stopped) scan.
type ScanResult struct {
	Keys       int  // distinct keys passed to the consumer
	Duplicates int  // keys SCAN returned more than once, dropped
	Calls      int  // SCAN round trips over all nodes
	Complete   bool // every node was walked to cursor 0
	// Passes is how many times the keyspace was walked: more than one when
	// cluster slots moved during a walk (see walkStable).
	Passes int
}

// ErrStopScan can be returned by a consumer to end a scan early without error.
var ErrStopScan = errors.New("stop scan")

type nodeBatch struct {
	keys []ScannedKey
}

// Scan walks the keyspace of every node with SCAN (never KEYS) and hands
// batches of distinct keys to onBatch, in the caller's goroutine. Memory is
// bounded by a few in-flight batches plus the duplicate filter. onBatch may
// return ErrStopScan to stop; cancelling ctx stops too.
func (c *Client) Scan(ctx context.Context, opts ScanOptions, onBatch func([]ScannedKey) error) (ScanResult, error) {
	if opts.Count <= 0 {
		opts.Count = DefaultScanCount
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	out := make(chan nodeBatch, 4)
	var calls, passes atomic.Int64
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	go func() {
		defer close(out)
		n, err := c.walkStable(ctx, "scan", func(ctx context.Context) error {
			return c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
				return scanNode(ctx, node, opts, out, &calls)
			})
		})
		passes.Store(int64(n))
		if err != nil && ctx.Err() == nil {
			fail(err)
		}
	}()

	res := ScanResult{}
	var seen interface {
		add(string) bool
		release()
	} = newSeenSet()
	if opts.Remember > 0 {
		seen = newRecentSet(opts.Remember)
	}
	defer seen.release()
	stopped := false
	for b := range out {
		if stopped {
			continue // drain so producers finish
		}
		fresh := b.keys[:0]
		for _, k := range b.keys {
			if seen.add(k.Key) {
				fresh = append(fresh, k)
			} else {
				res.Duplicates++
			}
		}
		if opts.Limit > 0 && res.Keys+len(fresh) >= opts.Limit {
			fresh = fresh[:opts.Limit-res.Keys]
			stopped = true
		}
		res.Keys += len(fresh)
		if len(fresh) > 0 {
			if err := onBatch(fresh); err != nil {
				stopped = true
				if !errors.Is(err, ErrStopScan) {
					fail(err)
				}
			}
		}
		if stopped {
			cancel()
		}
	}
	res.Calls = int(calls.Load())
	res.Passes = int(passes.Load())
	if firstErr != nil {
		return res, firstErr
	}
	if stopped {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Complete = true
	return res, nil
}

// scanNode walks one node. With WithMeta, a second goroutine fetches TYPE
// and PTTL of one batch while the next SCAN call is in flight.
func scanNode(ctx context.Context, node *redis.Client, opts ScanOptions, out chan<- nodeBatch, calls *atomic.Int64) error {
	if !opts.WithMeta {
		return walk(ctx, node, opts, out, calls)
	}
	raw := make(chan nodeBatch, 1)
	metaDone := make(chan error, 1)
	go func() { metaDone <- fillMeta(ctx, node, opts.Type, raw, out) }()
	err := walk(ctx, node, opts, raw, calls)
	close(raw)
	if metaErr := <-metaDone; err == nil {
		err = metaErr
	}
	return err
}

func walk(ctx context.Context, node *redis.Client, opts ScanOptions, raw chan<- nodeBatch, calls *atomic.Int64) error {
	var cursor uint64
	addr := node.Options().Addr
	for {
		if opts.Governor != nil {
			if err := opts.Governor.WaitNode(ctx, addr); err != nil {
				return err
			}
		}
		var keys []string
		var err error
		if opts.Type != "" {
			keys, cursor, err = node.ScanType(ctx, cursor, opts.Match, opts.Count, opts.Type).Result()
		} else {
			keys, cursor, err = node.Scan(ctx, cursor, opts.Match, opts.Count).Result()
		}
		calls.Add(1)
		if err != nil {
			return &StepError{Step: "scan " + node.Options().Addr, Err: explainCommandErr(err, "SCAN")}
		}
		if len(keys) > 0 {
			batch := make([]ScannedKey, len(keys))
			for i, k := range keys {
				batch[i] = ScannedKey{Key: k, Type: opts.Type}
			}
			select {
			case raw <- nodeBatch{keys: batch}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if cursor == 0 {
			return nil
		}
	}
}

func fillMeta(ctx context.Context, node *redis.Client, knownType string, raw <-chan nodeBatch, out chan<- nodeBatch) error {
	var failed error
	for b := range raw {
		if failed != nil {
			continue // drain so the walker never blocks
		}
		if err := keyMeta(ctx, node, knownType, b.keys); err != nil {
			failed = err
			continue
		}
		select {
		case out <- b:
		case <-ctx.Done():
			failed = ctx.Err()
		}
	}
	return failed
}

// keyMeta fills Type and TTL of keys in one pipeline round trip.
func keyMeta(ctx context.Context, node redis.Cmdable, knownType string, keys []ScannedKey) error {
	pipe := node.Pipeline()
	types := make([]*redis.StatusCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		if knownType == "" {
			types[i] = pipe.Type(ctx, k.Key)
		}
		ttls[i] = pipe.PTTL(ctx, k.Key)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("key metadata: %w", explainCommandErr(err, "TYPE/PTTL"))
	}
	for i := range keys {
		if types[i] != nil {
			keys[i].Type = types[i].Val()
		}
		keys[i].TTL = ttlMillis(ttls[i].Val())
	}
	return nil
}

// ttlMillis maps go-redis's PTTL value back to Redis's convention: go-redis
// keeps the -1 (no TTL) and -2 (no key) replies as raw nanosecond counts.
func ttlMillis(d time.Duration) int64 {
	if d == -1 || d == -2 {
		return int64(d)
	}
	return d.Milliseconds()
}

// explainCommandErr adds the refusal reason, when there is one, to a
// command's error so the operator sees which command was refused and why.
func explainCommandErr(err error, command string) error {
	if r := Refusal(err); r != "" {
		return fmt.Errorf("%s %s", command, r)
	}
	return err
}
