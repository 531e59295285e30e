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
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RestoreOptions shape a restore.
type RestoreOptions struct {
	Replace  bool      // overwrite keys that exist now (RESTORE … REPLACE)
	Rate     int       // keys per second; 0 = paced by the governor alone
	Governor *Governor // optional: Wait before each batch
	Progress func(RestoreResult)
	Now      func() time.Time // the clock expiries are measured against; default time.Now
	// Patterns, when set, restrict the restore to the keys matching one of
	// them (SCAN MATCH's glob, see GlobMatch): warming a namespace from a
	// backup of more.
	Patterns []string
}

// RestoreResult counts what a restore did.
type RestoreResult struct {
	Restored int64
	// Unconfirmed of Restored belong to a batch whose reply was lost (a
	// dropped connection): sent again, they answered that the key exists.
	// Each is back, but whether the lost RESTORE put it there or it was
	// there already (and would have been skipped) cannot be told.
	Unconfirmed int64
	Skipped     int64 // the key exists now and Replace was not asked
	Expired     int64 // its TTL would have run out by now: left out
	Failed      int64
	NotMatched  int64 // left out: no pattern of RestoreOptions.Patterns matches
	Cancelled   bool
}

// RestorePreview is what a restore would do, read from the file and from
// EXISTS on the server; nothing is written. It serves both choices of
// Replace: see ToRestore and PayloadBytes.
type RestorePreview struct {
	Records       int64    // keys in the file
	ExistNow      int64    // skipped by a restore, or overwritten with Replace
	Expired       int64    // their TTL would have run out by now: left out
	AbsentBytes   int64    // DUMP bytes of the keys absent now
	ExistingBytes int64    // DUMP bytes of the keys that exist now
	Sample        []string // the first keys of the file (that match)
	NotMatched    int64    // left out by the patterns (PreviewRestoreMatching)
}

// ToRestore is how many keys a restore would write.
func (p *RestorePreview) ToRestore(replace bool) int64 {
	if replace {
		return p.Records - p.NotMatched - p.Expired
	}
	return p.Records - p.NotMatched - p.Expired - p.ExistNow
}

// PayloadBytes is how many DUMP bytes a restore would write.
func (p *RestorePreview) PayloadBytes(replace bool) int64 {
	if replace {
		return p.AbsentBytes + p.ExistingBytes
	}
	return p.AbsentBytes
}

const restoreBatch = 500

// restoreItem is one decoded backup line.
type restoreItem struct {
	key, payload string
	ttl          time.Duration // 0: no expiry
	expired      bool
}

// readBackup decodes a backup file in batches of restoreBatch. A malformed
// line stops it with an error naming the line; nothing of that batch is
// handed on.
func readBackup(r io.Reader, now time.Time, onBatch func([]restoreItem) error) error {
	// A backup's lines are JSON objects. Anything else is refused on its
	// first bytes, before a line of up to a GiB is buffered.
	br := bufio.NewReader(r)
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return nil // empty: nothing to restore
		}
		if err != nil {
			return fmt.Errorf("restore: read: %w", err)
		}
		if b[0] == '{' {
			break
		}
		if !bytes.ContainsAny(b, " \t\r\n") {
			return errors.New("restore: line 1: not a JSON backup record (is this a file written by invalidate --backup?)")
		}
		_, _ = br.ReadByte()
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30) // a DUMP of a big key is one long line
	batch := make([]restoreItem, 0, restoreBatch)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		item, err := decodeBackupLine(b, now)
		if err != nil {
			return fmt.Errorf("restore: line %d: %w (is this a file written by invalidate --backup?)", line, err)
		}
		batch = append(batch, item)
		if len(batch) == restoreBatch {
			if err := onBatch(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("restore: read: %w", err)
	}
	if len(batch) > 0 {
		return onBatch(batch)
	}
	return nil
}

func decodeBackupLine(b []byte, now time.Time) (restoreItem, error) {
	var rec BackupRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return restoreItem{}, errors.New("not a JSON backup record")
	}
	key, err := base64.StdEncoding.DecodeString(rec.KeyB64)
	if err != nil || rec.KeyB64 == "" {
		return restoreItem{}, errors.New("key_b64 is missing or not base64")
	}
	payload, err := base64.StdEncoding.DecodeString(rec.DumpB64)
	if err != nil || rec.DumpB64 == "" {
		return restoreItem{}, errors.New("dump_b64 is missing or not base64")
	}
	item := restoreItem{key: string(key), payload: string(payload)}
	if rec.TTLMs >= 0 {
		remaining := time.Duration(rec.TTLMs) * time.Millisecond
		if rec.SavedMs > 0 {
			remaining = time.UnixMilli(rec.SavedMs + rec.TTLMs).Sub(now)
		}
		// RESTORE with a TTL of 0 means "no expiry": a key with less than
		// a millisecond left would come back immortal.
		if remaining < time.Millisecond {
			item.expired = true
		}
		item.ttl = remaining.Truncate(time.Millisecond)
	}
	return item, nil
}

// PreviewRestore reads a backup and asks the server which of its keys
// exist now (EXISTS, pipelined per batch). Expiry is judged at now (nil:
// the wall clock), as Restore does. A malformed line is an error.
func (c *Client) PreviewRestore(ctx context.Context, r io.Reader, now func() time.Time, sample int) (*RestorePreview, error) {
	return c.PreviewRestoreMatching(ctx, r, now, sample, nil)
}

// PreviewRestoreMatching is PreviewRestore for the keys matching one of
// patterns (all keys when there is none); the others count as NotMatched.
func (c *Client) PreviewRestoreMatching(ctx context.Context, r io.Reader, now func() time.Time, sample int, patterns []string) (*RestorePreview, error) {
	p := &RestorePreview{}
	err := readBackup(r, RestoreOptions{Now: now}.now(), func(batch []restoreItem) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, skipped := matching(batch, patterns)
		p.Records += skipped
		p.NotMatched += skipped
		if len(batch) == 0 {
			return nil
		}
		pipe := c.rdb.Pipeline()
		exists := make([]*redis.IntCmd, len(batch))
		for i, it := range batch {
			exists[i] = pipe.Exists(ctx, it.key)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("restore preview: %w", explainCommandErr(err, "EXISTS"))
		}
		for i, it := range batch {
			p.Records++
			if len(p.Sample) < sample {
				p.Sample = append(p.Sample, it.key)
			}
			if it.expired {
				p.Expired++
				continue
			}
			if exists[i].Val() > 0 {
				p.ExistNow++
				p.ExistingBytes += int64(len(it.payload))
			} else {
				p.AbsentBytes += int64(len(it.payload))
			}
		}
		return nil
	})
	return p, err
}

// Restore reads a backup written by Invalidate and puts every key back with
// RESTORE key ttl payload [REPLACE]: the expiry it had when saved (keys
// whose TTL has run out since are left out). Without Replace, keys that
// exist now are skipped. Batches are paced by the governor. A malformed
// line stops the restore with an error; refused RESTOREs count as Failed
// and the first refusal is returned. Cancelling ctx stops before the next
// batch and returns Cancelled with exact counts.
func (c *Client) Restore(ctx context.Context, r io.Reader, o RestoreOptions) (RestoreResult, error) {
	var res RestoreResult
	var firstErr error
	work := context.WithoutCancel(ctx) // a batch sent completes, so counts stay exact
	errStop := errors.New("stop")
	start := time.Now()
	var sent int64
	err := readBackup(r, o.now(), func(batch []restoreItem) error {
		if ctx.Err() != nil {
			return errStop
		}
		batch, skipped := matching(batch, o.Patterns)
		res.NotMatched += skipped
		if len(batch) == 0 {
			return nil // nothing to send: no turn to wait for
		}
		sent += int64(len(batch))
		if err := waitTurn(ctx, o.Governor, o.Rate, sent, start); err != nil {
			return errStop
		}
		var todo []restoreItem
		for _, it := range batch {
			if it.expired {
				res.Expired++
			} else {
				todo = append(todo, it)
			}
		}
		refused, err := c.restoreBatch(work, todo, o.Replace, &res)
		if refused != nil && firstErr == nil {
			firstErr = refused
		}
		if err != nil {
			return err // the connection is gone: later batches would fare no better
		}
		if o.Progress != nil {
			o.Progress(res)
		}
		return nil
	})
	res.Cancelled = errors.Is(err, errStop)
	if err != nil && !res.Cancelled {
		return res, err
	}
	return res, firstErr
}

// restoreBatch sends one pipeline of RESTOREs and counts the replies into
// res; it returns the first refusal, and an error when replies stayed
// lost. A RESTORE whose reply is lost is sent again (up to maxResends
// times): one that then finds its key (BUSYKEY) counts as restored and
// unconfirmed. With REPLACE a resend is harmless.
func (c *Client) restoreBatch(ctx context.Context, items []restoreItem, replace bool, res *RestoreResult) (refused, err error) {
	// unsure[i]: an earlier RESTORE of items[i] may have run (its reply was
	// lost), so a BUSYKEY now may be our own key.
	unsure := make([]bool, len(items))
	for attempt, waits := 0, 0; len(items) > 0; {
		pipe := c.rdb.Pipeline()
		cmds := make([]*onceStatusCmd, len(items))
		for i, it := range items {
			args := []any{"restore", it.key, it.ttl.Milliseconds(), it.payload}
			if replace {
				args = append(args, "replace")
			}
			cmds[i] = &onceStatusCmd{StatusCmd: redis.NewStatusCmd(ctx, args...)}
			_ = pipe.Process(ctx, cmds[i])
		}
		_, _ = pipe.Exec(ctx)
		var lost, again []restoreItem
		var againUnsure []bool
		var lostErr error
		for i, cmd := range cmds {
			switch err := cmd.Err(); {
			case err == nil:
				res.Restored++
			case replyLost(err):
				lost, lostErr = append(lost, items[i]), err
			case notRunYet(err):
				// Not run now; an earlier attempt's fate stays unknown.
				again, againUnsure, lostErr = append(again, items[i]), append(againUnsure, unsure[i]), err
			case strings.HasPrefix(err.Error(), "BUSYKEY") && unsure[i]:
				res.Restored++
				res.Unconfirmed++
			case strings.HasPrefix(err.Error(), "BUSYKEY"):
				res.Skipped++
			default:
				res.Failed++
				if refused == nil {
					refused = fmt.Errorf("restore: %w", explainCommandErr(err, "RESTORE"))
				}
			}
		}
		if len(lost) > 0 {
			attempt++
		} else if len(again) > 0 {
			waits++
		}
		pending := append(lost, again...)
		if len(pending) > 0 && (attempt > maxResends || waits > maxWaits) {
			res.Failed += int64(len(pending))
			return refused, fmt.Errorf("restore: %w: the replies for %d keys were lost or deferred, so whether they were restored is unknown (run again: keys that exist are skipped)", lostErr, len(pending))
		}
		if len(pending) > 0 {
			if err := resendPause(ctx, max(attempt, min(waits, 10))); err != nil {
				return refused, err
			}
		}
		unsure = make([]bool, len(lost), len(pending))
		for i := range unsure {
			unsure[i] = true
		}
		items, unsure = pending, append(unsure, againUnsure...)
	}
	return refused, nil
}

// matching keeps the items whose key matches a pattern (all of them when
// there is no pattern), in place, and counts the others.
func matching(batch []restoreItem, patterns []string) ([]restoreItem, int64) {
	if len(patterns) == 0 {
		return batch, 0
	}
	kept := batch[:0]
	for _, it := range batch {
		for _, pat := range patterns {
			if GlobMatch(pat, it.key) {
				kept = append(kept, it)
				break
			}
		}
	}
	return kept, int64(len(batch) - len(kept))
}

func (o RestoreOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// CreateBackupFile creates a new backup file named after the time in dir
// (backup-20261125T220604Z.ndjson, then -2, -3 … when that name is taken
// within the same second), never overwriting one. It is private to the
// user (0600): it holds cached values.
func CreateBackupFile(dir string, now time.Time) (*os.File, string, error) {
	base := "backup-" + now.UTC().Format("20060102T150405Z")
	for n := 1; n <= 1000; n++ {
		name := base + ".ndjson"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.ndjson", base, n)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, path, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, "", fmt.Errorf("backup: %w (choose a writable directory)", err)
		}
	}
	return nil, "", fmt.Errorf("backup: 1000 backup files named %s* already exist in %s", base, dir)
}
