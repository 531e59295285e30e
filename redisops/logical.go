package redisops

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// LogicalOptions shape a logical backup.
type LogicalOptions struct {
	Patterns []string  // glob patterns; empty: every key
	Count    int64     // SCAN COUNT and DUMP pipeline size; default DefaultScanCount
	Rate     int       // keys per second; 0: paced by the governor alone
	Governor *Governor // optional: paces every SCAN and DUMP batch
	Profile  string    // written to the manifest
	Progress func(LogicalProgress)
	// Fresh discards an unfinished backup at the same path instead of
	// resuming it.
	Fresh bool
}

// LogicalProgress is how far a logical backup has got.
type LogicalProgress struct {
	Keys, Bytes int64
	Node        string // the master being walked
	Elapsed     time.Duration
}

// LogicalResult is a logical backup, finished or stopped.
type LogicalResult struct {
	Path        string
	Keys        int64 // records in the file
	Bytes       int64
	Duration    time.Duration // of this run
	ResumedFrom int64         // records already in the file when this run resumed it; 0 fresh
	Cancelled   bool          // stopped: the partial file stays, the next run resumes it
	SHA256      string
}

// logicalState is the resume point of an unfinished logical backup
// (PATH.partial.state): every record before Offset in PATH.partial is
// synced, and the walk goes on at Cursor of pattern Pattern on master
// Nodes[Node].
type logicalState struct {
	Version  int       `json:"version"`
	Server   string    `json:"server"`
	Patterns []string  `json:"patterns"`
	Nodes    []string  `json:"nodes"`
	Node     int       `json:"node"`
	Pattern  int       `json:"pattern"`
	Cursor   uint64    `json:"cursor"`
	Keys     int64     `json:"keys"`
	Offset   int64     `json:"offset"`
	Started  time.Time `json:"started"`
}

func readLogicalState(path string) (logicalState, error) {
	var st logicalState
	data, err := os.ReadFile(path + stateExt)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Version != 1 {
		return st, fmt.Errorf("%s: not a resume state", path+stateExt)
	}
	return st, nil
}

// LogicalBackup writes DUMP and remaining TTL of every key (or of the keys
// matching o.Patterns) to path in the format invalidate --backup writes
// and restore reads: SCAN on every master in turn, one pipeline of DUMP +
// PTTL per SCAN batch sent to that master, each batch written, fsynced and
// then recorded as the resume point. The walk is paced by o.Governor and
// o.Rate. The data goes to PATH.partial first; when the walk is over, the
// file gets a manifest (key count, SHA-256) and is linked to path, which
// must not exist: a backup never overwrites another.
//
// Cancelling ctx, or a failure, leaves PATH.partial and its resume point:
// the next call with the same path, server and patterns resumes there (a
// key written to the file before the stop and found again after it is
// then recorded twice; restore treats the second copy like a key that
// exists). Every record's DUMP payload carries its own CRC64, which
// VerifyLogical checks.
func (c *Client) LogicalBackup(ctx context.Context, path string, o LogicalOptions) (*LogicalResult, error) {
	if exists(path) {
		return nil, fmt.Errorf("backup: %s exists: a backup never overwrites another", path)
	}
	if o.Count <= 0 {
		o.Count = DefaultScanCount
	}
	patterns := o.Patterns
	if len(patterns) == 0 {
		patterns = []string{""}
	}
	nodes := c.mastersInOrder(ctx)
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Options().Addr
	}
	partial := path + partialExt
	if o.Fresh {
		_ = os.Remove(partial)
		_ = os.Remove(path + stateExt)
	}
	st := logicalState{Version: 1, Server: c.Addr, Patterns: patterns, Nodes: addrs, Started: time.Now().UTC()}
	res := &LogicalResult{Path: path}
	hasher := sha256.New()
	var f *os.File
	if old, err := readLogicalState(path); err == nil {
		if old.Server != st.Server || !slices.Equal(old.Patterns, patterns) || !slices.Equal(old.Nodes, addrs) {
			return nil, fmt.Errorf("backup: %s is an unfinished backup of %s (patterns %q, masters %v), not of this server and patterns: resume it with those, or start fresh", partial, old.Server, old.Patterns, old.Nodes)
		}
		if f, err = reopenPartial(partial, old.Offset, hasher); err != nil {
			return nil, err
		}
		st = old
		res.ResumedFrom = old.Keys
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup: %w (start fresh to discard it)", err)
	} else {
		if f, err = os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return nil, fmt.Errorf("backup: %w (choose a writable directory; an unfinished %s without its resume state must be removed by hand)", err, partial)
		}
		if err := writeState(path, st); err != nil {
			f.Close()
			return nil, err
		}
	}
	defer f.Close()
	res.Keys, res.Bytes = st.Keys, st.Offset

	start := time.Now()
	var lastProgress time.Time
	report := func(node string, force bool) {
		if o.Progress != nil && (force || time.Since(lastProgress) >= memProgressEvery) {
			lastProgress = time.Now()
			o.Progress(LogicalProgress{Keys: res.Keys, Bytes: res.Bytes, Node: node, Elapsed: time.Since(start)})
		}
	}
	seen := newSeenSet() // SCAN may return a key twice while the server rehashes
	defer seen.release()
	w := io.MultiWriter(f, hasher)
	work := context.WithoutCancel(ctx) // a batch read is written whole, so the resume point stays exact
	var sent int64
	for ; st.Node < len(nodes); st.Node, st.Pattern, st.Cursor = st.Node+1, 0, 0 {
		node := nodes[st.Node]
		addr := addrs[st.Node]
		for ; st.Pattern < len(patterns); st.Pattern, st.Cursor = st.Pattern+1, 0 {
			for {
				if ctx.Err() != nil {
					return c.stopLogical(res, start, nil)
				}
				if err := waitTurn(ctx, nil, o.Rate, sent+o.Count, start); err != nil {
					return c.stopLogical(res, start, nil)
				}
				if o.Governor != nil {
					if err := o.Governor.WaitNode(ctx, addr); err != nil {
						return c.stopLogical(res, start, nil)
					}
				}
				keys, next, err := node.Scan(work, st.Cursor, patterns[st.Pattern], o.Count).Result()
				if err != nil {
					return c.stopLogical(res, start, fmt.Errorf("backup: scan %s: %w", addr, explainCommandErr(err, "SCAN")))
				}
				fresh := keys[:0]
				for _, k := range keys {
					if seen.add(k) {
						fresh = append(fresh, k)
					}
				}
				if len(fresh) > 0 {
					if o.Governor != nil {
						if err := o.Governor.WaitNode(work, addr); err != nil {
							return c.stopLogical(res, start, err)
						}
					}
					n, written, err := dumpBatch(work, node, w, fresh)
					if err != nil {
						return c.stopLogical(res, start, err)
					}
					res.Keys += n
					res.Bytes += written
					sent += int64(len(fresh))
				}
				st.Cursor, st.Keys, st.Offset = next, res.Keys, res.Bytes
				if next == 0 {
					// The resume point moves on to the next pattern or master,
					// where the loops' post statements take st too.
					nst := st
					nst.Pattern++
					if nst.Pattern == len(patterns) {
						nst.Node, nst.Pattern = nst.Node+1, 0
					}
					if err := writeState(path, nst); err != nil {
						return c.stopLogical(res, start, err)
					}
					report(addr, false)
					break
				}
				if err := writeState(path, st); err != nil {
					return c.stopLogical(res, start, err)
				}
				report(addr, false)
			}
		}
	}
	report("", true)
	if err := f.Sync(); err != nil {
		return c.stopLogical(res, start, fmt.Errorf("backup: sync: %w", err))
	}
	res.SHA256 = hex.EncodeToString(hasher.Sum(nil))
	res.Duration = time.Since(start)
	m := BackupManifest{Kind: KindLogical, Server: c.Addr, Product: c.Server.Product, Version: c.Server.Version, Profile: o.Profile,
		Patterns: o.Patterns, Keys: res.Keys, Bytes: res.Bytes, SHA256: res.SHA256, Created: time.Now().UTC(),
		DurationMs: res.Duration.Milliseconds(), Resumed: res.ResumedFrom > 0}
	if err := WriteManifest(path, m); err != nil {
		return res, fmt.Errorf("backup: manifest: %w (the data is complete in %s)", err, partial)
	}
	// A link fails when path exists: a backup never overwrites another.
	if err := os.Link(partial, path); err != nil {
		_ = os.Remove(ManifestPath(path))
		return res, fmt.Errorf("backup: %w (the data is complete in %s)", err, partial)
	}
	_ = os.Remove(partial)
	_ = os.Remove(path + stateExt)
	return res, nil
}

// stopLogical ends a run that did not finish: the partial file and its
// resume point stay for the next run.
func (c *Client) stopLogical(res *LogicalResult, start time.Time, err error) (*LogicalResult, error) {
	res.Duration = time.Since(start)
	if err == nil {
		res.Cancelled = true
	}
	return res, err
}

// reopenPartial opens an unfinished backup for appending after its last
// synced batch (a torn batch after it is cut off) and feeds what it holds
// to the hash.
func reopenPartial(partial string, offset int64, h hash.Hash) (*os.File, error) {
	f, err := os.OpenFile(partial, os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup: resume: %w", err)
	}
	st, err := f.Stat()
	if err == nil && st.Size() < offset {
		err = fmt.Errorf("%s is shorter (%d bytes) than its resume point (%d): start fresh", partial, st.Size(), offset)
	}
	if err == nil {
		err = f.Truncate(offset)
	}
	if err == nil {
		_, err = io.Copy(h, io.NewSectionReader(f, 0, offset))
	}
	if err == nil {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("backup: resume: %w", err)
	}
	return f, nil
}

func writeState(path string, st logicalState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path+stateExt, data); err != nil {
		return fmt.Errorf("backup: resume point: %w", err)
	}
	return nil
}

// mastersInOrder lists the nodes that hold keys, by address, so that a
// resumed walk visits them in the same order.
func (c *Client) mastersInOrder(ctx context.Context) []*redis.Client {
	if c.cluster == nil {
		return c.nodes
	}
	var out []*redis.Client
	ch := make(chan *redis.Client, 64)
	go func() {
		_ = c.cluster.ForEachMaster(ctx, func(_ context.Context, n *redis.Client) error {
			ch <- n
			return nil
		})
		close(ch)
	}()
	for n := range ch {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *redis.Client) int { return strings.Compare(a.Options().Addr, b.Options().Addr) })
	return out
}

// LogicalVerification is what VerifyLogical found.
type LogicalVerification struct {
	Records int64
	Bytes   int64
	// NoCRC counts payloads written with rdbchecksum no (CRC 0): sound as
	// far as can be told.
	NoCRC int64
	// Manifest: the file's manifest was found and its key count and
	// SHA-256 matched.
	Manifest bool
}

var crcJones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// dumpCRC is Redis's CRC64 (Jones, no inversion) of p.
func dumpCRC(p []byte) uint64 { return ^crc64.Update(^uint64(0), crcJones, p) }

// VerifyLogical reads a logical backup whole: every line must be a backup
// record whose DUMP payload ends with the RDB version and a CRC64 that
// matches its bytes; with a manifest, the record count and the file's
// SHA-256 must match it too (a file cut at a line boundary passes the
// record checks alone).
func VerifyLogical(path string) (LogicalVerification, error) {
	var v LogicalVerification
	f, err := os.Open(path)
	if err != nil {
		return v, err
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReader(io.TeeReader(f, h))
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	line := int64(0)
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if b[0] != '{' {
			return v, fmt.Errorf("line %d: not a backup record", line)
		}
		item, err := decodeBackupLine(b, time.Now())
		if err != nil {
			return v, fmt.Errorf("line %d: %v", line, err)
		}
		crcOff, err := checkDump([]byte(item.payload))
		if err != nil {
			return v, fmt.Errorf("line %d: %v", line, err)
		}
		if crcOff {
			v.NoCRC++
		}
		v.Records++
		v.Bytes += int64(len(sc.Bytes())) + 1
	}
	if err := sc.Err(); err != nil {
		return v, fmt.Errorf("line %d: %w", line+1, err)
	}
	m, ok, err := ReadManifest(path)
	if err != nil {
		return v, err
	}
	if ok {
		if m.Keys != v.Records {
			return v, fmt.Errorf("%d records, the manifest says %d: the file is incomplete", v.Records, m.Keys)
		}
		if m.SHA256 != "" && m.SHA256 != hex.EncodeToString(h.Sum(nil)) {
			return v, errors.New("the file's SHA-256 does not match its manifest: it changed after it was written")
		}
		v.Manifest = true
	}
	return v, nil
}

// checkDump checks a DUMP payload's trailer: 2 bytes of RDB version, then
// the CRC64 of everything before it (0 when the server does not checksum).
func checkDump(p []byte) (crcOff bool, err error) {
	if len(p) < 11 {
		return false, errors.New("DUMP payload too short")
	}
	want := binary.LittleEndian.Uint64(p[len(p)-8:])
	if want == 0 {
		return true, nil
	}
	if got := dumpCRC(p[:len(p)-8]); got != want {
		return false, fmt.Errorf("DUMP payload CRC64 %016x does not match its trailer %016x: damaged", got, want)
	}
	return false, nil
}

// FindResumable returns the final path of an unfinished logical backup in
// dir of server and patterns (empty: every key), and how many keys it
// holds, so that the next backup resumes it instead of starting over.
func FindResumable(dir, server string, patterns []string) (path string, keys int64, ok bool) {
	if len(patterns) == 0 {
		patterns = []string{""}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", 0, false
	}
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, logicalExt+partialExt) {
			continue
		}
		final := strings.TrimSuffix(filepath.Join(dir, name), partialExt)
		st, err := readLogicalState(final)
		if err == nil && st.Server == server && slices.Equal(st.Patterns, patterns) && !exists(final) {
			return final, st.Keys, true
		}
	}
	return "", 0, false
}

// DiscardPartial removes the unfinished logical backup whose final path
// is path (its data and its resume point).
func DiscardPartial(path string) error {
	for _, p := range []string{path + partialExt, path + stateExt} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return nil
}
