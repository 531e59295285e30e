package redisops

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"
)

// BackupRecord is one line of a backup file (NDJSON): the key's exact
// bytes, its remaining TTL in milliseconds when it was saved (-1: none),
// when it was saved (Unix milliseconds) and its DUMP payload, both base64.
// SavedMs lets a restore give the key back the expiry it would have had,
// not a fresh TTL; files without it restore with the saved TTL.
type BackupRecord struct {
	KeyB64  string `json:"key_b64"`
	TTLMs   int64  `json:"ttl_ms"`
	SavedMs int64  `json:"saved_ms,omitempty"`
	DumpB64 string `json:"dump_b64"`
}

// backupBatch writes DUMP and PTTL of keys to w (see dumpBatch) before an
// invalidation unlinks them.
func (c *Client) backupBatch(ctx context.Context, w io.Writer, keys []string) error {
	if _, _, err := dumpBatch(ctx, c.rdb, w, keys); err != nil {
		return fmt.Errorf("%w: nothing of this batch was deleted", err)
	}
	return nil
}

// dumpBatch writes DUMP and PTTL of keys, read from node in one pipeline,
// to w, one line each, in one write, then syncs w when it can (an
// *os.File). Keys gone meanwhile are left out. It returns the records and
// bytes written.
func dumpBatch(ctx context.Context, node redis.Cmdable, w io.Writer, keys []string) (records, written int64, err error) {
	pipe := node.Pipeline()
	dumps := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		dumps[i] = pipe.Dump(ctx, k)
		ttls[i] = pipe.PTTL(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, fmt.Errorf("backup: %w", explainCommandErr(err, "DUMP/PTTL"))
	}
	saved := time.Now().UnixMilli()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i, k := range keys {
		payload, err := dumps[i].Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return 0, 0, fmt.Errorf("backup: %w", err)
		}
		ttl := ttlMillis(ttls[i].Val())
		if ttl == -2 {
			continue
		}
		if err := enc.Encode(BackupRecord{
			KeyB64: base64.StdEncoding.EncodeToString([]byte(k)), TTLMs: ttl, SavedMs: saved,
			DumpB64: base64.StdEncoding.EncodeToString([]byte(payload)),
		}); err != nil {
			return 0, 0, err
		}
		records++
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return 0, 0, fmt.Errorf("backup: write: %w", err)
	}
	// A file is synced before its batch is unlinked: a crash of the
	// machine then never loses a key that is already deleted.
	if f, ok := w.(interface{ Sync() error }); ok {
		if err := f.Sync(); err != nil {
			return 0, 0, fmt.Errorf("backup: sync: %w", err)
		}
	}
	return records, int64(buf.Len()), nil
}
