package seed

import (
	"encoding/hex"
	"strconv"
	"time"
)

// Identifiers are derived from (seed, salt, ordinal) with bijective mixers, so two ordinals of the
// same namespace never produce the same id: uniqueness is by construction, not by luck, and that
// is what makes the key count exact.

// mix64 is the splitmix64 finalizer: a bijection on uint64.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// mix32 is murmur3's fmix32: a bijection on uint32.
func mix32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x
}

// ids derives every identifier of one dataset.
type ids struct{ seed uint64 }

// salts keep the id spaces of different entities apart (a lead and a user with the same ordinal
// get different uuids).
const (
	saltUser uint64 = iota + 1
	saltWorkspace
	saltLead
	saltCampaign
	saltMessage
	saltProfile
	saltContact
	saltSpam
	saltTemp
	saltPrompt
	saltRequest
)

// id64 is a bijection of ord for a fixed seed and salt.
func (d ids) id64(salt, ord uint64) uint64 {
	return mix64(ord ^ mix64(d.seed*0x9e3779b97f4a7c15+salt))
}

// id32 is a bijection of ord (for ord < 2^32) for a fixed seed and salt.
func (d ids) id32(salt, ord uint64) uint32 {
	k := mix64(d.seed*0x9e3779b97f4a7c15 + salt)
	return mix32(uint32(ord) ^ uint32(k))
}

// uuid formats a version-4-looking UUID. The first 64 bits are a bijection of ord, the rest is
// filler derived from them, so distinct ordinals give distinct UUIDs.
func (d ids) uuid(dst []byte, salt, ord uint64) []byte {
	hi := d.id64(salt, ord)
	lo := mix64(hi ^ 0x5555)
	var raw [16]byte
	// hi fills bytes 0-5, 7 and 9 (64 bits, so distinct ordinals stay distinct); bytes 6 and 8
	// carry the version-4 and RFC 4122 variant bits; lo fills the rest.
	for i := range 6 {
		raw[i] = byte(hi >> (56 - 8*i))
	}
	raw[7] = byte(hi >> 8)
	raw[9] = byte(hi)
	raw[6] = 0x40 | byte(lo)&0x0f
	raw[8] = 0x80 | byte(lo>>8)&0x3f
	for i := 10; i < 16; i++ {
		raw[i] = byte(lo >> (8 * (i - 8)))
	}
	var h [32]byte
	hex.Encode(h[:], raw[:])
	dst = append(dst, h[0:8]...)
	dst = append(dst, '-')
	dst = append(dst, h[8:12]...)
	dst = append(dst, '-')
	dst = append(dst, h[12:16]...)
	dst = append(dst, '-')
	dst = append(dst, h[16:20]...)
	dst = append(dst, '-')
	dst = append(dst, h[20:32]...)
	return dst
}

func (d ids) userID(dst []byte, ord int) []byte      { return d.uuid(dst, saltUser, uint64(ord)) }
func (d ids) workspaceID(dst []byte, ord int) []byte { return d.uuid(dst, saltWorkspace, uint64(ord)) }
func (d ids) leadID(dst []byte, ord int) []byte      { return d.uuid(dst, saltLead, uint64(ord)) }
func (d ids) campaignID(dst []byte, ord int) []byte  { return d.uuid(dst, saltCampaign, uint64(ord)) }

// hex8 is 8 hex digits, unique per ord below 2^32.
func (d ids) hex8(dst []byte, salt uint64, ord int) []byte {
	v := d.id32(salt, uint64(ord))
	var b [4]byte
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return hex.AppendEncode(dst, b[:])
}

// hex16 is 16 hex digits, unique per ord.
func (d ids) hex16(dst []byte, salt uint64, ord int) []byte {
	v := d.id64(salt, uint64(ord))
	var b [8]byte
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
	return hex.AppendEncode(dst, b[:])
}

// epoch is the dataset's "now": fixed, so values are reproducible byte for byte.
var epoch = time.Date(2025, time.November, 25, 12, 0, 0, 0, time.UTC)

// appendISO writes t (UTC) like JavaScript's Date#toISOString: 2025-11-25T12:00:00.000Z.
// Hand-rolled: time.Format was a tenth of the generation time.
func appendISO(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-',
		byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':',
		byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

func appendDate(dst []byte, t time.Time) []byte {
	return appendISO(dst, t)[:len(dst)+10]
}

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }
