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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coldcopy/cachedeck/rdb"
)

// MemoryFromBackup computes the namespace breakdown of a backup file (an
// RDB file or a logical backup) locally, sending nothing to any server.
// Every key is counted and sized, so the report is exact: bytes emulate
// MEMORY USAGE with SAMPLES 0 (see rdb.SizeModel and o.SizeQuantum), types,
// lengths and keys without TTL come from the file. Keys of every database
// in the file are counted. Keys already expired when the file was written
// are left out (the server drops them on load).
//
// Cancelling ctx returns the report so far with Cancelled set.
func MemoryFromBackup(ctx context.Context, path string, o MemoryOptions) (*MemoryReport, error) {
	o.Exact = true
	o, err := o.normalize()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("memory from backup: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	head, _ := br.Peek(9)
	b := &backupBreakdown{
		ctx: ctx, o: o, start: time.Now(),
		agg:   newMemAgg(o, 0), // the file's key count is known only at its end; the set grows
		sizes: rdb.SizeModel{Quantum: o.SizeQuantum},
		dbs:   map[int]int64{},
	}
	defer b.agg.seen.release()
	switch {
	case bytes.HasPrefix(head, []byte("REDIS")) || bytes.HasPrefix(head, []byte("VALKEY")):
		err = b.fromRDB(br)
	case len(bytes.TrimLeft(head, " \t\r\n")) > 0 && bytes.TrimLeft(head, " \t\r\n")[0] == '{':
		err = b.fromLogical(br)
	case len(head) == 0:
		err = errors.New("the file is empty")
	default:
		err = errors.New("neither an RDB file (REDIS/VALKEY header) nor a logical backup (JSON lines)")
	}
	r := b.report()
	if errors.Is(err, errBreakdownCancelled) {
		r.Cancelled = true
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("memory from backup: %s: %w", path, err)
	}
	return r, nil
}

var errBreakdownCancelled = errors.New("cancelled")

type backupBreakdown struct {
	ctx     context.Context
	o       MemoryOptions
	start   time.Time
	agg     *memAgg
	sizes   rdb.SizeModel
	dbs     map[int]int64 // keys per database
	expired int64         // keys expired before the file was written
	source  string        // what the file is, for the notes
	// layoutNote warns when the file's server lays memory out unlike the
	// model.
	layoutNote string
	last       time.Time
}

// add counts one key; every 1024 keys it checks ctx and reports progress.
func (b *backupBreakdown) add(k *memKey) error {
	k.prefix = memPrefix(k.key, b.o.Delimiter, b.o.Depth)
	k.measured, k.ttlKnown = true, true
	b.agg.addKey(k)
	if b.agg.scanned%1024 == 0 {
		if b.ctx.Err() != nil {
			return errBreakdownCancelled
		}
		if b.o.Progress != nil && time.Since(b.last) >= memProgressEvery {
			b.last = time.Now()
			b.o.Progress(MemoryProgress{Scanned: b.agg.scanned, Measured: b.agg.measured, Total: -1, Elapsed: time.Since(b.start)})
		}
	}
	return nil
}

func (b *backupBreakdown) fromRDB(r io.Reader) error {
	var writtenMs int64 // the file's ctime AUX field, which comes before the keys
	aux := func(name, value string) {
		if name == "ctime" {
			if s, err := strconv.ParseInt(value, 10, 64); err == nil {
				writtenMs = s * 1000
			}
		}
	}
	var k memKey
	info, err := rdb.WalkWith(r, rdb.Options{Sizes: b.sizes, Aux: aux}, func(e *rdb.Entry) error {
		if e.ExpireMs > 0 && writtenMs > 0 && e.ExpireMs <= writtenMs {
			b.expired++
			return nil
		}
		b.dbs[e.DB]++
		k = memKey{key: string(e.Key), typ: e.Type, bytes: e.Memory, length: e.Length, ttl: -1}
		if e.ExpireMs > 0 {
			k.ttl = max(1, e.ExpireMs-writtenMs)
		}
		return b.add(&k)
	})
	b.source = fmt.Sprintf("RDB %d", info.Version)
	if s := info.Server(); s != "" {
		b.source += " from " + s
	}
	if v := info.Aux["valkey-ver"]; v != "" && !strings.HasPrefix(v, "7.") {
		b.layoutNote = "the file comes from valkey " + v + ": sizes follow Redis 7's memory layout; Valkey 8 and later lay keys out differently (the key inside the value object; a new hash table in 8.1), so its own MEMORY USAGE differs"
	}
	return err
}

func (b *backupBreakdown) fromLogical(r io.Reader) error {
	b.source = "logical backup (DUMP payloads)"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30) // a DUMP of a big key is one long line
	line := 0
	var k memKey
	var keyBuf, payload []byte // reused: one line at a time
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		rec, ok := quickRecord(raw)
		if !ok {
			var full BackupRecord
			if err := json.Unmarshal(raw, &full); err != nil {
				return fmt.Errorf("line %d: not a JSON backup record", line)
			}
			rec = lineRecord{key: []byte(full.KeyB64), dump: []byte(full.DumpB64), ttlMs: full.TTLMs}
		}
		if len(rec.key) == 0 && len(rec.dump) == 0 {
			continue // a header or trailer line, not a key
		}
		var err error
		if keyBuf, err = decodeB64(keyBuf, rec.key); err != nil { // "" is the empty key
			return fmt.Errorf("line %d: key_b64 is not base64", line)
		}
		key := keyBuf
		if payload, err = decodeB64(payload, rec.dump); err != nil || len(rec.dump) == 0 {
			return fmt.Errorf("line %d: dump_b64 is missing or not base64", line)
		}
		obj, err := rdb.ParseDump(payload, b.sizes)
		if err != nil {
			return fmt.Errorf("line %d (key %s): %w", line, safeKeyText(key), err)
		}
		b.dbs[0]++
		k = memKey{key: string(key), typ: obj.Type, length: obj.Length, ttl: -1,
			bytes: obj.Memory + b.sizes.KeyOverhead(int64(len(key)))}
		if rec.ttlMs >= 0 {
			k.ttl = max(1, rec.ttlMs)
		}
		if err := b.add(&k); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// lineRecord is a BackupRecord's fields still in base64, pointing into the
// line.
type lineRecord struct {
	key, dump []byte
	ttlMs     int64
}

// quickRecord reads a line as BackupRecord's encoder writes it (fields in
// order, base64 needing no escapes) without reflection or copies; ok is
// false for any other shape, which encoding/json then reads.
func quickRecord(line []byte) (rec lineRecord, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"key_b64":"`))
	if !ok {
		return rec, false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return rec, false
	}
	rec.key, rest = rest[:i], rest[i+1:]
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"ttl_ms":`)); !ok {
		return rec, false
	}
	i = bytes.IndexByte(rest, ',')
	if i < 0 {
		return rec, false
	}
	ttl, err := strconv.ParseInt(string(rest[:i]), 10, 64)
	if err != nil {
		return rec, false
	}
	rec.ttlMs, rest = ttl, rest[i:]
	if after, found := bytes.CutPrefix(rest, []byte(`,"saved_ms":`)); found {
		if i = bytes.IndexByte(after, ','); i < 0 {
			return rec, false
		}
		if _, err := strconv.ParseInt(string(after[:i]), 10, 64); err != nil {
			return rec, false
		}
		rest = after[i:]
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"dump_b64":"`)); !ok {
		return rec, false
	}
	i = bytes.IndexByte(rest, '"')
	if i < 0 || string(rest[i:]) != `"}` {
		return rec, false
	}
	rec.dump = rest[:i]
	return rec, true
}

// decodeB64 decodes src into buf's storage.
func decodeB64(buf, src []byte) ([]byte, error) {
	n := base64.StdEncoding.DecodedLen(len(src))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	m, err := base64.StdEncoding.Decode(buf[:n], src)
	return buf[:m], err
}

func safeKeyText(k []byte) string {
	if len(k) > 64 {
		k = k[:64]
	}
	return strconv.QuoteToASCII(string(k))
}

func (b *backupBreakdown) report() *MemoryReport {
	r := b.agg.report()
	r.TotalKeys = r.ScannedKeys
	r.Duration = time.Since(b.start)
	quantum := 8
	if b.sizes.Quantum == 16 {
		quantum = 16
	}
	r.Notes = append(r.Notes, fmt.Sprintf("offline: read from the file (%s), nothing sent to a server; bytes emulate MEMORY USAGE SAMPLES 0 of Redis 7 with jemalloc's %d-byte quantum", b.source, quantum))
	if b.layoutNote != "" {
		r.Notes = append(r.Notes, b.layoutNote)
	}
	if len(b.dbs) > 1 {
		dbs := make([]int, 0, len(b.dbs))
		for db := range b.dbs {
			dbs = append(dbs, db)
		}
		slices.Sort(dbs)
		parts := make([]string, 0, len(dbs))
		for _, db := range dbs {
			parts = append(parts, fmt.Sprintf("db%d %d", db, b.dbs[db]))
		}
		r.Notes = append(r.Notes, "keys of every database are counted: "+strings.Join(parts, ", "))
	}
	if b.expired > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d keys had expired when the file was written: left out, as a server loading it drops them", b.expired))
	}
	return r
}
