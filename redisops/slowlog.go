package redisops

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// MaxSlowLogCount is the most entries SlowLog asks each node for (the
// server's default slowlog-max-len).
const MaxSlowLogCount = 128

// maxSlowArg bounds each argument of a slow log entry, in bytes.
const maxSlowArg = 200

// SlowEntry is one SLOWLOG entry. Args are redacted (RedactArgs) and each is
// at most 200 bytes; they are raw bytes otherwise: showing them safely
// (decode.DisplayKey) is the caller's job.
type SlowEntry struct {
	Node       string
	ID         int64
	Time       time.Time
	Duration   time.Duration
	Args       []string
	ClientAddr string
	ClientName string
}

// SlowLog reads SLOWLOG GET n (n clamped to 1..128) on every node and merges
// the entries newest first, at most n in all. If some nodes fail it returns
// the others' entries with an *OpError; if all fail, no entries.
func (c *Client) SlowLog(ctx context.Context, n int) ([]SlowEntry, error) {
	n = min(max(n, 1), MaxSlowLogCount)
	var mu sync.Mutex
	var out []SlowEntry
	results, err := c.eachNode(ctx, func(ctx context.Context, name string, node *redis.Client) error {
		logs, err := node.SlowLogGet(ctx, int64(n)).Result()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, l := range logs {
			args := RedactArgs(l.Args)
			for i := range args {
				args[i] = boundArg(args[i], maxSlowArg)
			}
			out = append(out, SlowEntry{
				Node: name, ID: l.ID, Time: l.Time, Duration: l.Duration, Args: args,
				ClientAddr: l.ClientAddr, ClientName: l.ClientName,
			})
		}
		return nil
	})
	if err != nil {
		return nil, &OpError{Op: "SLOWLOG GET", Nodes: map[string]error{c.Addr: err}, Total: 1}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.After(b.Time)
		}
		if a.Node != b.Node {
			return a.Node < b.Node
		}
		return a.ID > b.ID
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, opErr("SLOWLOG GET", results)
}

// SlowLogReset empties the slow log on every node.
func (c *Client) SlowLogReset(ctx context.Context) error {
	results, err := c.eachNode(ctx, func(ctx context.Context, _ string, node *redis.Client) error {
		return node.SlowLogReset(ctx).Err()
	})
	if err != nil {
		return &OpError{Op: "SLOWLOG RESET", Nodes: map[string]error{c.Addr: err}, Total: 1}
	}
	return opErr("SLOWLOG RESET", results)
}

// secretConfigParams are CONFIG SET parameters whose value is a secret.
var secretConfigParams = map[string]bool{
	"requirepass":              true,
	"masterauth":               true,
	"tls-key-file-pass":        true,
	"tls-client-key-file-pass": true,
	"sentinel-pass":            true, // SENTINEL CONFIG SET
}

const redacted = "****"

// RedactArgs returns a copy of a command's arguments with every secret
// replaced by ****: AUTH [user] pass; HELLO ... AUTH user pass; ACL SETUSER
// rules >pass, <pass, #hash, !hash; MIGRATE ... AUTH pass / AUTH2 user pass;
// CONFIG SET requirepass/masterauth/tls-*-pass values; SENTINEL SET ...
// auth-pass and SENTINEL CONFIG SET sentinel-pass. Command names and
// keywords match case-insensitively. Redis 7 already writes "(redacted)"
// in the slow log; this is for older servers and anything else that quotes
// a command line.
func RedactArgs(args []string) []string {
	out := append([]string(nil), args...)
	if len(out) == 0 {
		return out
	}
	is := func(i int, word string) bool { return i < len(out) && strings.EqualFold(out[i], word) }
	hide := func(i int) {
		if i < len(out) {
			out[i] = redacted
		}
	}
	switch {
	case is(0, "AUTH"):
		// AUTH pass | AUTH user pass: the last argument is the password;
		// anything past that is hidden too.
		if len(out) == 2 {
			hide(1)
		}
		for i := 2; i < len(out); i++ {
			hide(i)
		}
	case is(0, "HELLO"):
		// HELLO [protover [AUTH user pass] [SETNAME name]]
		i := 1
		if i < len(out) && !is(i, "AUTH") && !is(i, "SETNAME") {
			i++ // protover
		}
		for i < len(out) {
			switch {
			case is(i, "AUTH"):
				hide(i + 2)
				i += 3
			case is(i, "SETNAME"):
				i += 2
			default:
				i++
			}
		}
	case is(0, "ACL") && is(1, "SETUSER"):
		for i := 3; i < len(out); i++ {
			if r := out[i]; r != "" && strings.ContainsRune("><#!", rune(r[0])) {
				out[i] = r[:1] + redacted
			}
		}
	case is(0, "MIGRATE"):
		// MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k...]
		for i := 6; i < len(out) && !is(i, "KEYS"); i++ {
			switch {
			case is(i, "AUTH"):
				hide(i + 1)
				i++
			case is(i, "AUTH2"):
				hide(i + 2)
				i += 2
			}
		}
	case is(0, "CONFIG") && is(1, "SET"):
		for i := 2; i+1 < len(out); i += 2 {
			if secretConfigParams[strings.ToLower(out[i])] {
				hide(i + 1)
			}
		}
	case is(0, "SENTINEL") && is(1, "SET"):
		// SENTINEL SET master option value [option value ...]
		for i := 3; i+1 < len(out); i += 2 {
			if is(i, "auth-pass") {
				hide(i + 1)
			}
		}
	case is(0, "SENTINEL") && is(1, "CONFIG") && is(2, "SET"):
		for i := 3; i+1 < len(out); i += 2 {
			if secretConfigParams[strings.ToLower(out[i])] {
				hide(i + 1)
			}
		}
	}
	return out
}

// boundArg cuts s to at most limit bytes, saying how much was cut, and
// never splits a UTF-8 character of valid UTF-8 text.
func boundArg(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	// "… (N more bytes)": N has no more digits than len(s).
	keep := max(limit-len("… ( more bytes)")-len(strconv.Itoa(len(s))), 0)
	if utf8.ValidString(s) {
		for keep > 0 && !utf8.RuneStart(s[keep]) {
			keep--
		}
	}
	return s[:keep] + fmt.Sprintf("… (%d more bytes)", len(s)-keep)
}

// LatencyEvent is one line of LATENCY LATEST.
type LatencyEvent struct {
	Node, Event string
	Time        time.Time // of the latest spike
	Latest, Max time.Duration
}

// LatencyLatest reads LATENCY LATEST on every node, worst spike first. It is
// empty while latency-monitor-threshold is 0 (the default). A refusal comes
// back as an *OpError with the Refusal reason; entries from the nodes that
// answered are still returned.
func (c *Client) LatencyLatest(ctx context.Context) ([]LatencyEvent, error) {
	var mu sync.Mutex
	var out []LatencyEvent
	results, err := c.eachNode(ctx, func(ctx context.Context, name string, node *redis.Client) error {
		rows, err := node.Do(ctx, "latency", "latest").Slice()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rows {
			f, ok := r.([]any)
			if !ok || len(f) < 4 {
				continue
			}
			ev, _ := f[0].(string)
			ts, _ := f[1].(int64)
			latest, _ := f[2].(int64)
			worst, _ := f[3].(int64)
			out = append(out, LatencyEvent{
				Node: name, Event: ev, Time: time.Unix(ts, 0),
				Latest: time.Duration(latest) * time.Millisecond, Max: time.Duration(worst) * time.Millisecond,
			})
		}
		return nil
	})
	if err != nil {
		return nil, &OpError{Op: "LATENCY LATEST", Nodes: map[string]error{c.Addr: err}, Total: 1}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Max != out[j].Max {
			return out[i].Max > out[j].Max
		}
		return out[i].Node+out[i].Event < out[j].Node+out[j].Event
	})
	return out, opErr("LATENCY LATEST", results)
}
