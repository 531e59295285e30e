package redisops

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// BackupRecord is one line of a backup file (NDJSON): the key's exact
// bytes, its remaining TTL in milliseconds when it was saved (-1: none)
// and its DUMP payload, both base64.
type BackupRecord struct {
	KeyB64  string `json:"key_b64"`
	TTLMs   int64  `json:"ttl_ms"`
	DumpB64 string `json:"dump_b64"`
}

// backupBatch writes DUMP and PTTL of keys to w, one line each, in one
// write. Keys gone meanwhile are left out.
func (c *Client) backupBatch(ctx context.Context, w io.Writer, keys []string) error {
	pipe := c.rdb.Pipeline()
	dumps := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		dumps[i] = pipe.Dump(ctx, k)
		ttls[i] = pipe.PTTL(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("backup: %w: nothing of this batch was deleted", explainCommandErr(err, "DUMP/PTTL"))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i, k := range keys {
		payload, err := dumps[i].Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		ttl := ttlMillis(ttls[i].Val())
		if ttl == -2 {
			continue
		}
		if err := enc.Encode(BackupRecord{
			KeyB64: base64.StdEncoding.EncodeToString([]byte(k)), TTLMs: ttl,
			DumpB64: base64.StdEncoding.EncodeToString([]byte(payload)),
		}); err != nil {
			return err
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("backup: write: %w: nothing of this batch was deleted", err)
	}
	return nil
}

// RestoreResult counts what a restore did.
type RestoreResult struct {
	Restored int64
	Skipped  int64 // the key exists now and replace was not asked
	Failed   int64
}

const restoreBatch = 500

// Restore reads a backup written by Invalidate and puts every key back with
// RESTORE key ttl payload [REPLACE], ttl being the TTL the key had left
// when it was saved. Without replace, keys that exist now are skipped. A
// malformed line stops the restore with an error; refused RESTOREs count
// as Failed and the first refusal is returned.
func (c *Client) Restore(ctx context.Context, r io.Reader, replace bool) (RestoreResult, error) {
	var res RestoreResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	var batch []BackupRecord
	var firstErr error
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		pipe := c.rdb.Pipeline()
		cmds := make([]*redis.StatusCmd, len(batch))
		for i, rec := range batch {
			key, _ := base64.StdEncoding.DecodeString(rec.KeyB64)
			payload, _ := base64.StdEncoding.DecodeString(rec.DumpB64)
			ttl := time.Duration(max(rec.TTLMs, 0)) * time.Millisecond
			if replace {
				cmds[i] = pipe.RestoreReplace(ctx, string(key), ttl, string(payload))
			} else {
				cmds[i] = pipe.Restore(ctx, string(key), ttl, string(payload))
			}
		}
		_, _ = pipe.Exec(ctx)
		batch = batch[:0]
		for _, cmd := range cmds {
			switch err := cmd.Err(); {
			case err == nil:
				res.Restored++
			case strings.HasPrefix(err.Error(), "BUSYKEY"):
				res.Skipped++
			default:
				res.Failed++
				if firstErr == nil {
					firstErr = fmt.Errorf("restore: %w", explainCommandErr(err, "RESTORE"))
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
		return nil
	}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec BackupRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return res, fmt.Errorf("restore: line %d: %w", line, err)
		}
		if _, err := base64.StdEncoding.DecodeString(rec.KeyB64); err != nil {
			return res, fmt.Errorf("restore: line %d: key_b64: %w", line, err)
		}
		if _, err := base64.StdEncoding.DecodeString(rec.DumpB64); err != nil || rec.DumpB64 == "" {
			return res, fmt.Errorf("restore: line %d: dump_b64 is missing or not base64", line)
		}
		batch = append(batch, rec)
		if len(batch) >= restoreBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("restore: read: %w", err)
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, firstErr
}
