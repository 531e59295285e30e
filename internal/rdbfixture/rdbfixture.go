// Package rdbfixture fills a real redis-server with every type and
// encoding the RDB format has for it, so that tests of the RDB reader,
// the download and the offline memory breakdown run on files a server
// wrote.
package rdbfixture

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Directives are the redis.conf lines Fill relies on: the DEBUG command
// (to make a plain quicklist node) and checksums on.
var Directives = []string{"enable-debug-command yes", "rdbchecksum yes", "rdbcompression yes"}

// Key is one key Fill wrote, with what the server says about it.
type Key struct {
	DB       int
	Name     string
	Type     string
	Encoding string // OBJECT ENCODING
}

// Fill writes keys of every type and encoding into db 0 and a few into
// db 1, and returns them. rdb must be a client of db 0 on a server started
// with Directives.
func Fill(tb testing.TB, rdb *redis.Client) []Key {
	tb.Helper()
	ctx := context.Background()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("rdbfixture: %v", err)
		}
	}
	must(rdb.Set(ctx, "str:int", "12345", 0).Err())
	must(rdb.Set(ctx, "str:neg", "-7", 0).Err())
	must(rdb.Set(ctx, "str:bigint", "123456789012345", 0).Err())
	must(rdb.Set(ctx, "str:embstr", "hello world", 0).Err())
	must(rdb.Set(ctx, "str:raw", strings.Repeat("x", 45)+"yz", 0).Err())
	must(rdb.Set(ctx, "str:lzf", strings.Repeat("compress me ", 500), 0).Err())
	must(rdb.Set(ctx, "str:random", pseudoRandom(3000), 0).Err())
	must(rdb.Set(ctx, "str:ttl", "expiring", 0).Err())
	must(rdb.PExpire(ctx, "str:ttl", 3_600_000).Err())
	must(rdb.Set(ctx, "str:binary\x00\xff", "\x00\x01\x02", 0).Err())

	for i := range 5 {
		must(rdb.RPush(ctx, "list:small", fmt.Sprintf("item-%d", i)).Err())
	}
	for i := range 3000 {
		must(rdb.RPush(ctx, "list:big", fmt.Sprintf("element number %d", i)).Err())
	}
	must(rdb.Do(ctx, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100").Err())
	must(rdb.RPush(ctx, "list:plain", "short", strings.Repeat("p", 300), "tail").Err())
	must(rdb.Do(ctx, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1073741824").Err())

	must(rdb.SAdd(ctx, "set:intset", 1, 2, 3, 100000, -5).Err())
	for i := range 40 {
		must(rdb.SAdd(ctx, "set:small", fmt.Sprintf("member-%d", i)).Err())
	}
	for i := range 1000 {
		must(rdb.SAdd(ctx, "set:big", fmt.Sprintf("m%d", i*7)).Err())
	}
	for i := range 600 {
		must(rdb.SAdd(ctx, "set:bigints", i*3).Err())
	}

	for i := range 10 {
		must(rdb.ZAdd(ctx, "zset:small", redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("z%d", i)}).Err())
	}
	for i := range 500 {
		must(rdb.ZAdd(ctx, "zset:big", redis.Z{Score: float64(i) * 1.5, Member: fmt.Sprintf("player:%d", i)}).Err())
	}
	must(rdb.ZAdd(ctx, "zset:long", redis.Z{Score: 1, Member: strings.Repeat("L", 100)}).Err())

	for i := range 10 {
		must(rdb.HSet(ctx, "hash:small", fmt.Sprintf("f%d", i), fmt.Sprintf("value %d", i)).Err())
	}
	for i := range 300 {
		must(rdb.HSet(ctx, "hash:big", fmt.Sprintf("field:%d", i), i*11).Err())
	}
	must(rdb.HSet(ctx, "hash:longvalue", "f", strings.Repeat("v", 100)).Err())

	for i := range 250 {
		must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: "stream:events", Values: []any{"n", i, "kind", "click"}}).Err())
	}
	must(rdb.XGroupCreate(ctx, "stream:events", "workers", "0").Err())
	must(rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "alice", Streams: []string{"stream:events", ">"}, Count: 5}).Err())
	must(rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "bob", Streams: []string{"stream:events", ">"}, Count: 3}).Err())
	must(rdb.XAdd(ctx, &redis.XAddArgs{Stream: "stream:empty", Values: []any{"a", "b"}}).Err())
	must(rdb.XTrimMaxLen(ctx, "stream:empty", 0).Err())

	// A function library: RDB files carry it in an opcode of its own.
	must(rdb.FunctionLoad(ctx, "#!lua name=fixturelib\nredis.register_function('fixture_one', function(keys, args) return 1 end)").Err())

	db1 := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr, DB: 1, Username: rdb.Options().Username, Password: rdb.Options().Password, TLSConfig: rdb.Options().TLSConfig})
	defer db1.Close()
	must(db1.Set(ctx, "other:db", "in db 1", 0).Err())
	must(db1.HSet(ctx, "other:hash", "a", "1").Err())

	var keys []Key
	for db, c := range []*redis.Client{rdb, db1} {
		iter := c.Scan(ctx, 0, "", 1000).Iterator()
		for iter.Next(ctx) {
			k := iter.Val()
			typ, err := c.Type(ctx, k).Result()
			must(err)
			enc, err := c.ObjectEncoding(ctx, k).Result()
			must(err)
			keys = append(keys, Key{DB: db, Name: k, Type: typ, Encoding: enc})
		}
		must(iter.Err())
	}
	return keys
}

// pseudoRandom is incompressible text, the same every run.
func pseudoRandom(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = 'a' + byte(x%26)
	}
	return string(b)
}
