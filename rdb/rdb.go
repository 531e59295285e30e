// Package rdb reads Redis and Valkey RDB files and DUMP payloads, which are
// untrusted bytes: verification (magic, version, every record, the CRC64
// trailer) and a streaming walk over the keys, bounded against hostile
// input. It does no I/O beyond the reader it is given.
package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Info is what verification found in an RDB file.
type Info struct {
	Magic    string            // "REDIS" or "VALKEY"
	Version  int               // the number after the magic, as written
	Bytes    int64             // the file's size
	Keys     int64             // keys in every database of the file
	Checksum uint64            // the CRC64 trailer; 0 when the server writes none (rdbchecksum no)
	Aux      map[string]string // AUX fields: redis-ver / valkey-ver, ctime, used-mem, ...
}

// Server is the server and version that wrote the file ("redis 7.0.15"),
// from its AUX fields; "" when they do not say.
func (i Info) Server() string {
	if v := i.Aux["valkey-ver"]; v != "" {
		return "valkey " + v
	}
	if v := i.Aux["redis-ver"]; v != "" {
		return "redis " + v
	}
	return ""
}

// Entry is one key of the file, handed to Walk's function.
type Entry struct {
	DB  int
	Key []byte // valid during the call only: copy it to keep it
	Object
	ExpireMs int64 // Unix milliseconds; 0 when the key has none
	// Memory is MEMORY USAGE's answer as SizeModel emulates it: the
	// value's Object.Memory plus the key and its dict entry.
	Memory int64
	// Serialized is the size of the key's record in the file.
	Serialized int64
}

// Options shape a walk.
type Options struct {
	Sizes SizeModel
	// Aux, when set, gets each AUX field as it is read (they precede the
	// keys: ctime, redis-ver, ...), bounded and escaped.
	Aux func(name, value string)
}

// Opcodes of the RDB format.
const (
	opSlotInfo      = 0xf4
	opFunction2     = 0xf5
	opFunctionPreGA = 0xf6
	opModuleAux     = 0xf7
	opIdle          = 0xf8
	opFreq          = 0xf9
	opAux           = 0xfa
	opResizeDB      = 0xfb
	opExpireMs      = 0xfc
	opExpireSec     = 0xfd
	opSelectDB      = 0xfe
	opEOF           = 0xff
)

const (
	maxAuxFields = 256
	maxAuxValue  = 4096
	maxKey       = MaxString
	maxDB        = 1 << 20
)

// ErrChecksum is returned (wrapped) when the CRC64 trailer does not match
// the file's bytes.
var ErrChecksum = errors.New("CRC64 checksum mismatch")

// Walk reads an RDB stream to its end marker and checksum, calling fn for
// every key with the default Options. An error from fn stops the walk and
// is returned as is.
func Walk(r io.Reader, fn func(*Entry) error) (Info, error) {
	return WalkWith(r, Options{}, fn)
}

// WalkWith is Walk with options. Any damage is an error naming what and
// the byte offset where it was found, and so is anything after the
// checksum: a file holds one RDB and nothing else.
func WalkWith(src io.Reader, o Options, fn func(*Entry) error) (Info, error) {
	r := newReader(src)
	info := Info{Aux: map[string]string{}}
	err := walk(r, o, &info, fn)
	info.Bytes = r.offset()
	if err != nil {
		var stop *callbackErr
		if errors.As(err, &stop) {
			return info, stop.err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return info, fmt.Errorf("rdb: truncated at byte %d: %w", r.offset(), err)
		}
		return info, fmt.Errorf("rdb: at byte %d: %w", r.offset(), err)
	}
	return info, nil
}

// callbackErr carries fn's error through walk untouched.
type callbackErr struct{ err error }

func (e *callbackErr) Error() string { return e.err.Error() }

func walk(r *reader, o Options, info *Info, fn func(*Entry) error) error {
	head, err := r.small(9)
	if err != nil {
		return errors.New("not an RDB file: shorter than its 9-byte header")
	}
	switch {
	case string(head[:5]) == "REDIS" && allDigits(head[5:]):
		info.Magic = "REDIS"
		info.Version, _ = strconv.Atoi(string(head[5:]))
	case string(head[:6]) == "VALKEY" && allDigits(head[6:]):
		info.Magic = "VALKEY"
		info.Version, _ = strconv.Atoi(string(head[6:]))
	default:
		return fmt.Errorf("not an RDB file: it starts with %s, not REDIS or VALKEY and a version", safeHead(head))
	}
	if info.Version < 1 {
		return fmt.Errorf("RDB version %d is not valid", info.Version)
	}
	p := &objectParser{r: r, m: o.Sizes, version: info.Version}
	var e Entry
	var key []byte
	db := 0
	var expire int64
	for {
		start := r.offset()
		t, err := r.byte()
		if err != nil {
			return err
		}
		switch t {
		case opEOF:
			return finish(r, info)
		case opAux:
			k, err := r.string(maxAuxValue)
			if err != nil {
				return fmt.Errorf("aux field: %w", err)
			}
			name := safeAux(k)
			v, err := r.string(maxAuxValue)
			if err != nil {
				return fmt.Errorf("aux field %s: %w", name, err)
			}
			value := safeAux(v)
			if len(info.Aux) < maxAuxFields {
				info.Aux[name] = value
			}
			if o.Aux != nil {
				o.Aux(name, value)
			}
		case opSelectDB:
			n, err := r.plainLength("select db")
			if err != nil {
				return err
			}
			if n >= maxDB {
				return fmt.Errorf("database number %d", n)
			}
			db = int(n)
		case opResizeDB:
			if _, err := r.plainLength("resize db"); err != nil {
				return err
			}
			if _, err := r.plainLength("resize db"); err != nil {
				return err
			}
		case opSlotInfo:
			for range 3 {
				if _, err := r.plainLength("slot info"); err != nil {
					return err
				}
			}
		case opExpireSec:
			s, err := r.uint32LE()
			if err != nil {
				return err
			}
			expire = int64(s) * 1000
		case opExpireMs:
			ms, err := r.uint64LE()
			if err != nil {
				return err
			}
			expire = int64(ms)
		case opFreq:
			if _, err := r.byte(); err != nil {
				return err
			}
		case opIdle:
			if _, err := r.plainLength("idle time"); err != nil {
				return err
			}
		case opModuleAux:
			if _, err := r.plainLength("module aux id"); err != nil {
				return err
			}
			if _, err := r.plainLength("module aux when"); err != nil {
				return err
			}
			if _, err := r.plainLength("module aux when"); err != nil {
				return err
			}
			if err := p.skipModuleFields(); err != nil {
				return fmt.Errorf("module aux data: %w", err)
			}
		case opFunction2:
			if _, err := r.string(0); err != nil {
				return fmt.Errorf("function library: %w", err)
			}
		case opFunctionPreGA:
			return errors.New("functions in the pre-release format (Redis 7.0 RC): not readable")
		default:
			k, err := r.string(maxKey)
			if err != nil {
				return fmt.Errorf("key: %w", err)
			}
			key = append(key[:0], k.data...)
			obj, err := p.parse(t)
			if err != nil {
				return fmt.Errorf("key %s: %w", safeKey(key), err)
			}
			info.Keys++
			e = Entry{DB: db, Key: key, Object: obj, ExpireMs: expire, Serialized: r.offset() - start}
			e.Memory = obj.Memory + o.Sizes.KeyOverhead(int64(len(key)))
			expire = 0
			if fn != nil {
				if err := fn(&e); err != nil {
					return &callbackErr{err}
				}
			}
		}
	}
}

// finish checks the trailer: the CRC64 of everything before it (RDB 5
// and later), then nothing more.
func finish(r *reader, info *Info) error {
	if info.Version >= 5 {
		want := r.sum()
		got, err := r.uint64LE()
		if err != nil {
			return fmt.Errorf("checksum trailer: %w", err)
		}
		info.Checksum = got
		if got != 0 && got != want {
			return fmt.Errorf("%w: the file says %016x, its bytes give %016x", ErrChecksum, got, want)
		}
	}
	if err := r.fill(1); err == nil {
		return fmt.Errorf("%d or more bytes after the end marker", r.end-r.pos)
	}
	return nil
}

// KeyOverhead is what MEMORY USAGE adds to a value for its key: the key's
// string and its entry in the database's dict.
func (m SizeModel) KeyOverhead(keyLen int64) int64 { return m.keyOverhead(keyLen) }

// VerifyFile reads the file at path whole: magic and version, every record,
// and the CRC64 trailer. Any damage is an error naming what and where.
func VerifyFile(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	info, err := Walk(bufio.NewReaderSize(f, 256<<10), nil)
	if err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// ParseDump reads a DUMP payload (as a logical backup holds it): one
// value, the RDB version and the CRC64 of the rest.
func ParseDump(payload []byte, m SizeModel) (Object, error) {
	if len(payload) < 11 {
		return Object{}, errors.New("DUMP payload: too short")
	}
	body := payload[:len(payload)-10]
	version := int(binary.LittleEndian.Uint16(payload[len(body):]))
	crc := binary.LittleEndian.Uint64(payload[len(payload)-8:])
	if crc != 0 && crc != CRC64(payload[:len(payload)-8]) {
		return Object{}, fmt.Errorf("DUMP payload: %w", ErrChecksum)
	}
	r := newBytesReader(body[1:])
	p := &objectParser{r: r, m: m, version: version}
	obj, err := p.parse(body[0])
	if err != nil {
		return Object{}, fmt.Errorf("DUMP payload: %w", err)
	}
	if r.offset() != int64(len(body)-1) {
		return Object{}, errors.New("DUMP payload: bytes left over after the value")
	}
	return obj, nil
}

func allDigits(p []byte) bool {
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(p) > 0
}

// safeHead, safeAux and safeKey bound and escape untrusted bytes for
// messages.
func safeHead(p []byte) string { return strconv.QuoteToASCII(string(p)) }

func safeAux(s str) string {
	if s.data == nil {
		return fmt.Sprintf("(%d bytes)", s.n)
	}
	q := strconv.QuoteToASCII(string(s.data))
	return q[1 : len(q)-1]
}

func safeKey(k []byte) string {
	if len(k) > 64 {
		return strconv.QuoteToASCII(string(k[:64])) + "…"
	}
	return strconv.QuoteToASCII(string(k))
}
