package rdb

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Value types of the RDB format (rdb.h).
const (
	typeString          = 0
	typeList            = 1
	typeSet             = 2
	typeZset            = 3
	typeHash            = 4
	typeZset2           = 5
	typeModulePreGA     = 6
	typeModule2         = 7
	typeHashZipmap      = 9
	typeListZiplist     = 10
	typeSetIntset       = 11
	typeZsetZiplist     = 12
	typeHashZiplist     = 13
	typeListQuicklist   = 14
	typeStreamListpacks = 15
	typeHashListpack    = 16
	typeZsetListpack    = 17
	typeListQuicklist2  = 18
	typeStreamListpack2 = 19
	typeSetListpack     = 20
	typeStreamListpack3 = 21
)

// Object is one value as the server would hold it once loaded.
type Object struct {
	Type     string // string, list, set, zset, hash, stream, module
	Encoding string // int, embstr, raw, quicklist, listpack, intset, hashtable, skiplist, stream, or the module's name
	// Length is the element count of a collection (HLEN, LLEN, SCARD,
	// ZCARD, XLEN) and the byte length of a string (STRLEN).
	Length int64
	// Memory emulates MEMORY USAGE of the value alone (SAMPLES 0); see
	// SizeModel. For a module value it is the serialized size.
	Memory int64
}

// objectParser reads one value of type t.
type objectParser struct {
	r       *reader
	m       SizeModel
	version int
	zslNode float64
}

func (p *objectParser) parse(t byte) (Object, error) {
	switch t {
	case typeString:
		return p.stringObject()
	case typeList:
		return p.linkedList()
	case typeSet:
		return p.hashtable("set", 1)
	case typeHash:
		return p.hashtable("hash", 2)
	case typeZset, typeZset2:
		return p.skiplist(t == typeZset2)
	case typeModulePreGA:
		return Object{}, errors.New("a module value in the pre-release module format (RDB type 6): not readable")
	case typeModule2:
		return p.module()
	case typeHashZipmap:
		return p.blob("hash", "listpack", 2, zipmapPairs)
	case typeListZiplist:
		return p.blobQuicklist(ziplistCount)
	case typeSetIntset:
		return p.blob("set", "intset", 1, intsetEntries)
	case typeZsetZiplist:
		return p.blob("zset", "listpack", 2, ziplistCount)
	case typeHashZiplist:
		return p.blob("hash", "listpack", 2, ziplistCount)
	case typeListQuicklist:
		return p.quicklist(false)
	case typeHashListpack:
		return p.blob("hash", "listpack", 2, listpackCount)
	case typeZsetListpack:
		return p.blob("zset", "listpack", 2, listpackCount)
	case typeListQuicklist2:
		return p.quicklist(true)
	case typeSetListpack:
		return p.blob("set", "listpack", 1, listpackCount)
	case typeStreamListpacks, typeStreamListpack2, typeStreamListpack3:
		return p.stream(t)
	case 22, 23, 24, 25:
		return Object{}, fmt.Errorf("a hash with field expiries (RDB type %d, Redis 7.4+): not readable yet", t)
	}
	return Object{}, fmt.Errorf("unknown value type %d", t)
}

func (p *objectParser) stringObject() (Object, error) {
	s, err := p.r.string(20) // an integer has at most 20 characters
	if err != nil {
		return Object{}, fmt.Errorf("string value: %w", err)
	}
	isInt := s.isInt || (s.data != nil && canonicalInt(s.data))
	o := Object{Type: "string", Length: s.n, Memory: p.m.stringValue(s.n, isInt)}
	switch {
	case isInt:
		o.Encoding = "int"
	case s.n <= embstrLimit:
		o.Encoding = "embstr"
	default:
		o.Encoding = "raw"
	}
	return o, nil
}

// canonicalInt is Redis's string2ll: what SET stores as an integer.
func canonicalInt(p []byte) bool {
	if len(p) == 0 || len(p) > 20 {
		return false
	}
	if len(p) > 1 && (p[0] == '0' || (p[0] == '-' && p[1] == '0')) {
		return false
	}
	if p[0] == '-' && len(p) == 1 {
		return false
	}
	_, err := strconv.ParseInt(string(p), 10, 64)
	return err == nil
}

// lpEntrySize is the size of a string of n bytes inside a listpack.
func lpEntrySize(n int64) int64 {
	var head int64 = 5
	switch {
	case n < 64:
		head = 1
	case n < 4096:
		head = 2
	}
	return head + n + int64(backlenSize(int(min(head+n, math.MaxInt32))))
}

// linkedList is the pre-3.2 list: loaded into a quicklist of 8 KiB
// listpacks (list-max-listpack-size -2).
func (p *objectParser) linkedList() (Object, error) {
	n, err := p.r.count("list")
	if err != nil {
		return Object{}, err
	}
	var lpBytes int64 = 7
	for i := int64(0); i < n; i++ {
		s, err := p.r.string(0)
		if err != nil {
			return Object{}, fmt.Errorf("list element %d: %w", i, err)
		}
		lpBytes += lpEntrySize(s.n)
	}
	nodes := max(1, (lpBytes+8191)/8192)
	mem := int64(sizeRobj+sizeQuicklist) + nodes*(sizeQuicklistNode+p.m.alloc(lpBytes/nodes))
	return Object{Type: "list", Encoding: "quicklist", Length: n, Memory: mem}, nil
}

// hashtable is a set (strings per element 1) or hash (2) held in a dict.
func (p *objectParser) hashtable(typ string, perElement int) (Object, error) {
	n, err := p.r.count(typ)
	if err != nil {
		return Object{}, err
	}
	mem := p.m.dictBase(n)
	for i := int64(0); i < n; i++ {
		for j := 0; j < perElement; j++ {
			s, err := p.r.string(0)
			if err != nil {
				return Object{}, fmt.Errorf("%s element %d: %w", typ, i, err)
			}
			mem += p.m.sdsAlloc(s.n)
		}
		mem += sizeDictEntry
	}
	return Object{Type: typ, Encoding: "hashtable", Length: n, Memory: mem}, nil
}

func (p *objectParser) skiplist(binaryScores bool) (Object, error) {
	n, err := p.r.count("zset")
	if err != nil {
		return Object{}, err
	}
	if p.zslNode == 0 {
		p.zslNode = p.m.zslNode()
	}
	mem := int64(sizeRobj+sizeZset+sizeZskiplist+sizeDict) + 8*dictSlots(n) + p.m.alloc(sizeZslHeader)
	for i := int64(0); i < n; i++ {
		s, err := p.r.string(0)
		if err != nil {
			return Object{}, fmt.Errorf("zset member %d: %w", i, err)
		}
		mem += p.m.sdsAlloc(s.n) + sizeDictEntry
		if binaryScores {
			err = p.r.skip(8)
		} else {
			_, err = p.r.doubleString()
		}
		if err != nil {
			return Object{}, fmt.Errorf("zset score %d: %w", i, err)
		}
	}
	mem += int64(math.Round(float64(n) * p.zslNode))
	return Object{Type: "zset", Encoding: "skiplist", Length: n, Memory: mem}, nil
}

// Blob checkers: the number of entries of a compact encoding.
func listpackCount(b []byte) (int64, error) { return listpackEntries(b, nil) }
func ziplistCount(b []byte) (int64, error)  { return ziplistEntries(b, nil) }
func zipmapPairs(b []byte) (int64, error) {
	n, err := zipmapEntries(b)
	return 2 * n, err // counted as entries, halved by blob
}

// blob is a value held in one compact allocation: a listpack, an intset
// (or, in old files, a ziplist or zipmap, which the server converts on
// load to a listpack of about the same size).
func (p *objectParser) blob(typ, enc string, perElement int64, entries func([]byte) (int64, error)) (Object, error) {
	s, err := p.r.string(MaxString)
	if err != nil {
		return Object{}, fmt.Errorf("%s %s: %w", typ, enc, err)
	}
	n, err := entries(s.data)
	if err != nil {
		return Object{}, blobErr(typ, err)
	}
	if n%perElement != 0 {
		return Object{}, fmt.Errorf("%s %s: %d entries do not make pairs", typ, enc, n)
	}
	return Object{Type: typ, Encoding: enc, Length: n / perElement, Memory: sizeRobj + p.m.alloc(s.n)}, nil
}

// blobQuicklist is a list held in one ziplist (RDB 6 and older).
func (p *objectParser) blobQuicklist(entries func([]byte) (int64, error)) (Object, error) {
	s, err := p.r.string(MaxString)
	if err != nil {
		return Object{}, fmt.Errorf("list ziplist: %w", err)
	}
	n, err := entries(s.data)
	if err != nil {
		return Object{}, blobErr("list", err)
	}
	return Object{Type: "list", Encoding: "quicklist", Length: n, Memory: sizeRobj + sizeQuicklist + sizeQuicklistNode + p.m.alloc(s.n)}, nil
}

// quicklist is a list as a chain of ziplists (v1) or of listpacks and
// plain elements (v2).
func (p *objectParser) quicklist(v2 bool) (Object, error) {
	nodes, err := p.r.count("quicklist")
	if err != nil {
		return Object{}, err
	}
	o := Object{Type: "list", Encoding: "quicklist", Memory: sizeRobj + sizeQuicklist}
	var lastLen int64
	packed := true
	for i := int64(0); i < nodes; i++ {
		container := uint64(2)
		if v2 {
			if container, err = p.r.plainLength("quicklist container"); err != nil {
				return Object{}, err
			}
			if container != 1 && container != 2 {
				return Object{}, fmt.Errorf("quicklist node %d: unknown container %d", i, container)
			}
		}
		if container == 1 { // PLAIN: one large element
			s, err := p.r.string(0)
			if err != nil {
				return Object{}, fmt.Errorf("quicklist node %d: %w", i, err)
			}
			o.Length++
			o.Memory += sizeQuicklistNode + p.m.alloc(s.n)
			packed = false
			continue
		}
		s, err := p.r.string(MaxString)
		if err != nil {
			return Object{}, fmt.Errorf("quicklist node %d: %w", i, err)
		}
		var n int64
		if v2 {
			n, err = listpackEntries(s.data, nil)
		} else {
			n, err = ziplistEntries(s.data, nil)
		}
		if err != nil {
			return Object{}, blobErr(fmt.Sprintf("quicklist node %d", i), err)
		}
		if n == 0 {
			return Object{}, fmt.Errorf("quicklist node %d is empty", i)
		}
		o.Length += n
		o.Memory += sizeQuicklistNode + p.m.alloc(s.n)
		lastLen = s.n
	}
	// Redis 7.2 and later (RDB 11+) hold a list of one small node as a
	// bare listpack.
	if p.version >= 11 && v2 && nodes == 1 && packed && lastLen <= 4096 {
		o.Encoding = "listpack"
		o.Memory = sizeRobj + p.m.alloc(lastLen)
	}
	return o, nil
}

// Module value opcodes (RDB_MODULE_OPCODE_*).
const (
	moduleEOF    = 0
	moduleSInt   = 1
	moduleUInt   = 2
	moduleFloat  = 3
	moduleDouble = 4
	moduleString = 5
)

const moduleNameChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// moduleName decodes the 9-character name packed in a module type id.
func moduleName(id uint64) string {
	b := make([]byte, 9)
	for i := 8; i >= 0; i-- {
		b[i] = moduleNameChars[(id>>(10+6*uint(8-i)))&63]
	}
	return string(b)
}

// module skips a module value: the v2 format tags every field, so it can
// be walked without the module.
func (p *objectParser) module() (Object, error) {
	start := p.r.offset()
	id, err := p.r.plainLength("module id")
	if err != nil {
		return Object{}, err
	}
	if err := p.skipModuleFields(); err != nil {
		return Object{}, fmt.Errorf("module %s: %w", moduleName(id), err)
	}
	size := p.r.offset() - start
	return Object{Type: "module", Encoding: moduleName(id), Length: -1, Memory: sizeRobj + size}, nil
}

func (p *objectParser) skipModuleFields() error {
	for fields := 0; ; fields++ {
		if fields > MaxElements {
			return errors.New("too many fields")
		}
		op, err := p.r.plainLength("module opcode")
		if err != nil {
			return err
		}
		switch op {
		case moduleEOF:
			return nil
		case moduleSInt, moduleUInt:
			_, _, err = p.r.length()
		case moduleFloat:
			err = p.r.skip(4)
		case moduleDouble:
			err = p.r.skip(8)
		case moduleString:
			_, err = p.r.string(0)
		default:
			return fmt.Errorf("unknown module opcode %d", op)
		}
		if err != nil {
			return err
		}
	}
}

// stream reads a stream far enough to size it and skip it.
func (p *objectParser) stream(t byte) (Object, error) {
	r := p.r
	lps, err := r.count("stream listpacks")
	if err != nil {
		return Object{}, err
	}
	o := Object{Type: "stream", Encoding: "stream", Memory: sizeRobj + sizeStream}
	var ids []streamID // the keys of one radix tree at a time
	for i := int64(0); i < lps; i++ {
		key, err := r.string(MaxString)
		if err != nil {
			return Object{}, fmt.Errorf("stream node %d: %w", i, err)
		}
		if key.n != sizeStreamID {
			return Object{}, fmt.Errorf("stream node %d: key of %d bytes, not a stream ID", i, key.n)
		}
		ids = append(ids, streamID(key.data))
		lp, err := r.string(MaxString)
		if err != nil {
			return Object{}, fmt.Errorf("stream node %d: %w", i, err)
		}
		if n, err := listpackEntries(lp.data, nil); err != nil || n == 0 {
			return Object{}, fmt.Errorf("stream node %d: %w", i, errListpack)
		}
		if i == lps-1 {
			// XADD allocates the tail node's listpack at stream-node-max-bytes
			// (4096 by default) up front; earlier nodes are shrunk to fit.
			o.Memory += p.m.alloc(max(lp.n, streamTailPrealloc))
		} else {
			o.Memory += p.m.alloc(lp.n)
		}
	}
	o.Memory += radix(ids)
	lengths := func(what string, n int) error {
		for range n {
			if _, err := r.plainLength(what); err != nil {
				return err
			}
		}
		return nil
	}
	items, err := r.plainLength("stream length")
	if err != nil {
		return Object{}, err
	}
	o.Length = int64(min(items, math.MaxInt64))
	meta := 2 // last id
	if t >= typeStreamListpack2 {
		meta += 5 // first id, max deleted id, entries added
	}
	if err := lengths("stream ids", meta); err != nil {
		return Object{}, err
	}
	groups, err := r.count("stream groups")
	if err != nil {
		return Object{}, err
	}
	for g := int64(0); g < groups; g++ {
		if _, err := r.string(0); err != nil {
			return Object{}, fmt.Errorf("stream group %d: %w", g, err)
		}
		idFields := 2
		if t >= typeStreamListpack2 {
			idFields++ // entries read
		}
		if err := lengths("stream group id", idFields); err != nil {
			return Object{}, err
		}
		pel, err := r.count("stream group pending")
		if err != nil {
			return Object{}, err
		}
		ids = ids[:0]
		for range pel {
			id, err := r.small(16) // raw ID
			if err != nil {
				return Object{}, err
			}
			ids = append(ids, streamID(id))
			if err := r.skip(8); err != nil { // delivery time
				return Object{}, err
			}
			if _, err := r.plainLength("delivery count"); err != nil {
				return Object{}, err
			}
		}
		o.Memory += sizeStreamCG + radix(ids) + sizeStreamNACK*pel
		consumers, err := r.count("stream consumers")
		if err != nil {
			return Object{}, err
		}
		for range consumers {
			name, err := r.string(0)
			if err != nil {
				return Object{}, err
			}
			seen := int64(8)
			if t >= typeStreamListpack3 {
				seen += 8 // active time
			}
			if err := r.skip(seen); err != nil {
				return Object{}, err
			}
			cpel, err := r.count("consumer pending")
			if err != nil {
				return Object{}, err
			}
			ids = ids[:0]
			for range cpel {
				id, err := r.small(16)
				if err != nil {
					return Object{}, err
				}
				ids = append(ids, streamID(id))
			}
			consumer := int64(sizeConsumer)
			if t >= typeStreamListpack3 {
				consumer += 8 // Redis 7.2 added active_time
			}
			o.Memory += consumer + name.n + radix(ids)
		}
	}
	return o, nil
}
