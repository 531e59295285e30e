package redisops

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/coldcopy/cachedeck/decode"
)

// InspectOptions bounds what Inspect fetches of a value.
type InspectOptions struct {
	MaxBytes int64  // string bytes fetched (GETRANGE); default 1 MiB
	PageSize int64  // collection members per page; default 100
	Cursor   string // "" for the first page; a KeyReport.Cursor for the next
	Decode   decode.Options
}

// Defaults for InspectOptions.
const (
	DefaultMaxBytes = 1 << 20
	DefaultPageSize = 100
)

// KeyReport is one key's metadata and a bounded view of its value.
// Fields a server refused stay at their zero value (-1 for numbers) and the
// reason is in Unavailable; the rest of the report is still valid.
type KeyReport struct {
	Key         string
	Type        string // string, hash, list, set, zset, stream, ...
	TTL         int64  // ms; -1 no TTL
	Encoding    string
	MemoryBytes int64 // -1 when unknown
	Length      int64 // STRLEN, HLEN, LLEN, SCARD, ZCARD or XLEN; -1 when unknown
	Unavailable map[string]string

	// Strings.
	Raw       []byte // the fetched bytes (at most MaxBytes)
	Truncated bool   // Raw is a prefix of a longer value
	Value     *decode.Result

	// Collections: one page, and the cursor of the next ("" when done).
	Items  []Item
	Cursor string
}

// Item is one member of a collection, decoded like a string value.
type Item struct {
	Field string // hash field; stream entry ID
	Score *float64
	Raw   []byte
	Value decode.Result
	// Fields of a stream entry (field, value pairs, each decoded).
	Entry []StreamField
}

// StreamField is one field of a stream entry.
type StreamField struct {
	Name  string
	Value decode.Result
}

// Inspect reads a key's metadata in one pipelined round trip, then its
// length and a bounded first page of its value in a second. A refused
// command empties its field and records why; only a missing key or a
// connection failure fails the whole inspection.
func (c *Client) Inspect(ctx context.Context, key string, o InspectOptions) (*KeyReport, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Decode.MaxOutput == 0 {
		o.Decode = decode.DefaultOptions()
	}
	r := &KeyReport{Key: key, MemoryBytes: -1, Length: -1, TTL: -1, Unavailable: map[string]string{}}

	pipe := c.rdb.Pipeline()
	typ := pipe.Type(ctx, key)
	ttl := pipe.PTTL(ctx, key)
	enc := pipe.ObjectEncoding(ctx, key)
	mem := pipe.MemoryUsage(ctx, key)
	_, _ = pipe.Exec(ctx) // each command's error is looked at below
	if err := typ.Err(); err != nil {
		return nil, fmt.Errorf("inspect: %w", explainCommandErr(err, "TYPE"))
	}
	r.Type = typ.Val()
	if r.Type == "none" {
		return nil, ErrNoSuchKey
	}
	if r.record("ttl", "PTTL", ttl.Err()) {
		r.TTL = ttlMillis(ttl.Val())
	}
	if r.record("encoding", "OBJECT ENCODING", enc.Err()) {
		r.Encoding = enc.Val()
	}
	if r.record("memory_bytes", "MEMORY USAGE", mem.Err()) {
		r.MemoryBytes = mem.Val()
	}
	if err := firstFatal(ttl.Err(), enc.Err(), mem.Err()); err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	if err := c.fetchValue(ctx, r, o); err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	return r, nil
}

// record notes a refused command and reports whether its value is usable.
func (r *KeyReport) record(field, command string, err error) bool {
	if err == nil {
		return true
	}
	if why := Refusal(err); why != "" {
		r.Unavailable[field] = command + " " + why
	} else if errors.Is(err, redis.Nil) {
		r.Unavailable[field] = "the key vanished while it was inspected"
	}
	return false
}

// firstFatal returns the first error that is neither a refusal nor a nil
// reply: a broken connection or a timeout.
func firstFatal(errs ...error) error {
	for _, err := range errs {
		if err != nil && !IsRefusal(err) && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

func (c *Client) fetchValue(ctx context.Context, r *KeyReport, o InspectOptions) error {
	pipe := c.rdb.Pipeline()
	var length *redis.IntCmd
	var page func() error
	switch r.Type {
	case "string":
		length = pipe.StrLen(ctx, r.Key)
		get := pipe.GetRange(ctx, r.Key, 0, o.MaxBytes-1)
		page = func() error {
			if !r.record("value", "GETRANGE", get.Err()) {
				return firstFatal(get.Err())
			}
			r.Raw = []byte(get.Val())
			r.Truncated = length.Err() == nil && length.Val() > int64(len(r.Raw))
			var res decode.Result
			if r.Truncated {
				res = decode.DecodeTruncated(r.Raw, o.Decode)
			} else {
				res = decode.Decode(r.Raw, o.Decode)
			}
			r.Value = &res
			return nil
		}
	case "hash":
		length = pipe.HLen(ctx, r.Key)
		scan := pipe.HScan(ctx, r.Key, parseCursor(o.Cursor), "", o.PageSize)
		page = func() error {
			return r.scanPage("HSCAN", scan, func(kv []string) {
				for i := 0; i+1 < len(kv); i += 2 {
					r.Items = append(r.Items, Item{Field: kv[i], Raw: []byte(kv[i+1]), Value: decode.Decode([]byte(kv[i+1]), o.Decode)})
				}
			})
		}
	case "set":
		length = pipe.SCard(ctx, r.Key)
		scan := pipe.SScan(ctx, r.Key, parseCursor(o.Cursor), "", o.PageSize)
		page = func() error {
			return r.scanPage("SSCAN", scan, func(members []string) {
				for _, m := range members {
					r.Items = append(r.Items, Item{Raw: []byte(m), Value: decode.Decode([]byte(m), o.Decode)})
				}
			})
		}
	case "zset":
		length = pipe.ZCard(ctx, r.Key)
		scan := pipe.ZScan(ctx, r.Key, parseCursor(o.Cursor), "", o.PageSize)
		page = func() error {
			return r.scanPage("ZSCAN", scan, func(kv []string) {
				for i := 0; i+1 < len(kv); i += 2 {
					item := Item{Raw: []byte(kv[i]), Value: decode.Decode([]byte(kv[i]), o.Decode)}
					if s, err := strconv.ParseFloat(kv[i+1], 64); err == nil {
						item.Score = &s
					}
					r.Items = append(r.Items, item)
				}
			})
		}
	case "list":
		length = pipe.LLen(ctx, r.Key)
		start := parseIndex(o.Cursor)
		rng := pipe.LRange(ctx, r.Key, start, start+o.PageSize-1)
		page = func() error {
			if !r.record("value", "LRANGE", rng.Err()) {
				return firstFatal(rng.Err())
			}
			for _, v := range rng.Val() {
				r.Items = append(r.Items, Item{Raw: []byte(v), Value: decode.Decode([]byte(v), o.Decode)})
			}
			if length.Err() == nil && start+int64(len(rng.Val())) < length.Val() {
				r.Cursor = strconv.FormatInt(start+int64(len(rng.Val())), 10)
			}
			return nil
		}
	case "stream":
		length = pipe.XLen(ctx, r.Key)
		from := "-"
		if o.Cursor != "" {
			from = "(" + o.Cursor // exclusive start, Redis 6.2+
		}
		// Raw XRANGE keeps each entry's field order, which go-redis's map loses.
		rng := pipe.Do(ctx, "XRANGE", r.Key, from, "+", "COUNT", o.PageSize)
		page = func() error {
			if !r.record("value", "XRANGE", rng.Err()) {
				return firstFatal(rng.Err())
			}
			entries, _ := rng.Val().([]interface{})
			for _, e := range entries {
				r.Items = append(r.Items, streamItem(e, o.Decode))
			}
			if n := len(r.Items); int64(n) == o.PageSize {
				r.Cursor = r.Items[n-1].Field
			}
			return nil
		}
	default:
		r.Unavailable["value"] = "values of type " + r.Type + " are not shown"
		return nil
	}
	_, _ = pipe.Exec(ctx)
	if r.record("length", "length", length.Err()) {
		r.Length = length.Val()
	}
	if err := firstFatal(length.Err()); err != nil {
		return err
	}
	return page()
}

// scanPage reads one *SCAN reply into r.Items via add and sets the cursor.
func (r *KeyReport) scanPage(command string, scan *redis.ScanCmd, add func([]string)) error {
	if !r.record("value", command, scan.Err()) {
		return firstFatal(scan.Err())
	}
	vals, cursor := scan.Val()
	add(vals)
	if cursor != 0 {
		r.Cursor = strconv.FormatUint(cursor, 10)
	}
	return nil
}

// streamItem turns one raw XRANGE entry, [id, [field, value, ...]], into an Item.
func streamItem(e interface{}, opts decode.Options) Item {
	pair, _ := e.([]interface{})
	if len(pair) != 2 {
		return Item{}
	}
	id, _ := pair[0].(string)
	item := Item{Field: id}
	kv, _ := pair[1].([]interface{})
	for i := 0; i+1 < len(kv); i += 2 {
		name, _ := kv[i].(string)
		val, _ := kv[i+1].(string)
		item.Entry = append(item.Entry, StreamField{Name: name, Value: decode.Decode([]byte(val), opts)})
	}
	return item
}

func parseCursor(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

func parseIndex(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	if n < 0 {
		return 0
	}
	return n
}
