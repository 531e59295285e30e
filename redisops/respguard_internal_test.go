package redisops

import (
	"strconv"
	"strings"
	"testing"
)

// scanReply is a SCAN COUNT 1000 reply: the guard's everyday load.
func scanReply() []byte {
	var b strings.Builder
	b.WriteString("*2\r\n$6\r\n123456\r\n*1000\r\n")
	for i := range 1000 {
		k := "lead:" + strconv.Itoa(100000+i) + ":enrichment"
		b.WriteString("$" + strconv.Itoa(len(k)) + "\r\n" + k + "\r\n")
	}
	return []byte(b.String())
}

func TestRESPParserAcceptsRealRepliesInAnyChunking(t *testing.T) {
	replies := [][]byte{
		scanReply(),
		[]byte("+OK\r\n-ERR x\r\n:42\r\n$-1\r\n*-1\r\n*0\r\n$0\r\n\r\n"),
		[]byte("*3\r\n*2\r\n:1\r\n$1\r\na\r\n%1\r\n+k\r\n~2\r\n_\r\n,1.5\r\n|1\r\n+a\r\n+b\r\n#t\r\n"),
	}
	for _, r := range replies {
		for _, chunk := range []int{1, 2, 3, 7, 64, len(r)} {
			p := respParser{lim: defaultRESPLimits}
			for i := 0; i < len(r); i += chunk {
				if err := p.feed(r[i:min(i+chunk, len(r))]); err != nil {
					t.Fatalf("chunk %d at %d: %v", chunk, i, err)
				}
			}
			if len(p.stack) != 0 || p.inLine || p.bulkLeft != 0 {
				t.Fatalf("chunk %d: the parser did not end at a reply boundary", chunk)
			}
		}
	}
}

// BenchmarkRESPGuard is the guard's cost per SCAN reply (1000 keys).
func BenchmarkRESPGuard(b *testing.B) {
	r := scanReply()
	p := respParser{lim: defaultRESPLimits}
	b.SetBytes(int64(len(r)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(r); i += 4096 {
			if err := p.feed(r[i:min(i+4096, len(r))]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
