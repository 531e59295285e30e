// Package seed builds a ColdCopy-shaped demo dataset: every namespace of the app's key schema,
// both value framings (CacheService's COMPRESSED: and RedisManager's damaged LZ:), raw buffers of
// other Node caches, every Redis type, never-cache namespaces and awkward keys. It is
// deterministic (same Keys and Seed, same bytes) and fast enough for a million keys.
//
// Rule for the key count: after Seed on an empty database, DBSIZE equals Summary.Keys, which is
// Options.Keys exactly (DefaultKeys when 0, raised to MinKeys() when smaller). Every generated
// key is distinct by construction.
//
// Layout: the first MinKeys() entries are the fixed keys (the Key* constants, the types samples,
// NeverCacheKeys and AwkwardKeys), identical for every Keys and Seed; the rest is the bulk, drawn
// from BulkNamespaces with fixed weights per 1000 keys. Bulk values over 1024 characters use
// their writer's framing: CacheService namespaces are partly "COMPRESSED:" (gzip at BestSpeed;
// the fixed KeyCompressedLead uses Node's level 6) and partly plain JSON, as the app compresses
// only when the call asks for it; coldcopy:* keys are always "LZ:" and mostly damaged. TTLs are
// the strategy table's with ±TTLJitter; about 5% of CacheService keys have none (written with
// plain SET by an older release), as do half the cache:raw keys and a fifth of temp keys.
package seed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Options of a dataset.
type Options struct {
	Keys     int                   // total keys; 0 means DefaultKeys (100 000); below MinKeys() means MinKeys()
	Seed     int64                 // PRNG seed; 0 means DefaultSeed (1)
	Progress func(done, total int) // optional; called after each batch, never concurrently, done increasing
	Force    bool                  // write into a non-empty database (keys of the dataset are overwritten)
}

// Summary of what Seed wrote.
type Summary struct {
	Keys        int            // keys written
	ByNamespace map[string]int // keys per Namespace.Pattern
	Awkward     []string       // the awkward keys written, exact bytes
}

// ErrNotEmpty is returned by Seed when the database holds keys and Options.Force is false.
var ErrNotEmpty = errors.New("database is not empty")

const (
	// batchCommands is the pipeline size: large enough to amortise round trips, small enough
	// that a batch's values stay in cache and Redis is never blocked for long.
	batchCommands = 1000
	// chunkKeys is the unit of work a goroutine claims; entries never span two chunks.
	chunkKeys = 1000
	// writers is the number of concurrent pipelines: while some build values (most of the
	// client's work is gzip, lz-string and JSON), others wait for Redis. On 2 cores 4 beat 3
	// by about 10% at a million keys.
	writers = 4
)

// Seed writes the dataset into rdb (a *redis.Client or a *redis.ClusterClient; a cluster client
// splits each pipeline by node itself). It refuses a non-empty database unless opts.Force.
func Seed(ctx context.Context, rdb redis.UniversalClient, opts Options) (Summary, error) {
	opts = opts.normalize()
	if !opts.Force {
		n, err := rdb.DBSize(ctx).Result()
		if err != nil {
			return Summary{}, fmt.Errorf("seed: count keys: %w", err)
		}
		if n > 0 {
			return Summary{}, fmt.Errorf("seed: %w (%d keys; Force writes anyway)", ErrNotEmpty, n)
		}
	}

	p := newPlan(opts)
	var (
		next     atomic.Int64 // next chunk to claim
		mu       sync.Mutex   // guards done, byNS, firstErr and Progress calls
		done     int
		byNS     = map[string]int{}
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := (p.n + chunkKeys - 1) / chunkKeys

	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}

	for range min(writers, chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(p)
			w.forSeed = true
			pipe := rdb.Pipeline()
			local := map[string]int{}
			pending := 0 // entries in the pipeline
			flush := func(from int) bool {
				if pipe.Len() == 0 {
					return true
				}
				if _, err := pipe.Exec(ctx); err != nil {
					fail(fmt.Errorf("seed: write keys %d–%d: %w", from, from+pending-1, err))
					return false
				}
				mu.Lock()
				done += pending
				for k, v := range local {
					byNS[k] += v
				}
				if opts.Progress != nil {
					opts.Progress(done, p.n)
				}
				mu.Unlock()
				clear(local)
				pending = 0
				w.resetArena()
				return true
			}
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks || ctx.Err() != nil {
					return
				}
				lo, hi := c*chunkKeys, min((c+1)*chunkKeys, p.n)
				from := lo
				for i := lo; i < hi; i++ {
					e := w.entry(i)
					if pipe.Len()+e.commands() > batchCommands && pending > 0 {
						if !flush(from) {
							return
						}
						from = i
					}
					queue(ctx, pipe, &e)
					local[e.Namespace]++
					pending++
				}
				if !flush(from) {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return Summary{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, fmt.Errorf("seed: %w", err)
	}
	return Summary{Keys: p.n, ByNamespace: byNS, Awkward: AwkwardKeys()}, nil
}

// queue adds the commands that write e.
func queue(ctx context.Context, pipe redis.Pipeliner, e *Entry) {
	if e.Kind == KindString {
		pipe.Set(ctx, e.Key, e.Value, e.TTL)
		return
	}
	pipe.Del(ctx, e.Key)
	switch e.Kind {
	case KindHash:
		pipe.HSet(ctx, e.Key, e.Items)
	case KindList:
		pipe.RPush(ctx, e.Key, e.Items)
	case KindSet:
		pipe.SAdd(ctx, e.Key, e.Items)
	case KindZSet:
		z := make([]redis.Z, len(e.Items))
		for i, m := range e.Items {
			z[i] = redis.Z{Score: e.Scores[i], Member: m}
		}
		pipe.ZAdd(ctx, e.Key, z...)
	case KindStream:
		for _, se := range e.Stream {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: e.Key, ID: se.ID, Values: se.Values})
		}
	}
	if e.TTL > 0 {
		pipe.Expire(ctx, e.Key, e.TTL)
	}
}
