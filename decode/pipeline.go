package decode

import (
	"fmt"
	"sync"
)

// byteFeed hands a growing buffer from a producer (a decompressor running
// in its own goroutine) to a consumer (the JSON formatter) while it is
// being filled. The producer only ever appends: bytes before the published
// length never change, so the consumer reads them without further locking.
// When the producer has to grow the buffer it publishes the new one; the
// old one still holds the same bytes for the consumer's earlier slices.
type byteFeed struct {
	mu   sync.Mutex
	cond sync.Cond
	buf  []byte // buf[:len(buf)] is published
	done bool
}

func newByteFeed() *byteFeed {
	f := &byteFeed{}
	f.cond.L = &f.mu
	return f
}

// publish makes buf (which extends what was published before) visible.
func (f *byteFeed) publish(buf []byte) {
	f.mu.Lock()
	f.buf = buf
	f.mu.Unlock()
	f.cond.Broadcast()
}

// close marks the end of the data: waiters get what there is.
func (f *byteFeed) close() {
	f.mu.Lock()
	f.done = true
	f.mu.Unlock()
	f.cond.Broadcast()
}

// wait returns the published data once it is longer than have bytes, or at
// the end; ok is false when no more data will come.
func (f *byteFeed) wait(have int) (data []byte, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.buf) <= have && !f.done {
		f.cond.Wait()
	}
	return f.buf, !f.done || len(f.buf) > have
}

// pipelineMinInput: below this much compressed input a value decodes in
// well under a millisecond, and a goroutine hand-off is not worth it.
const pipelineMinInput = 32 << 10

// pipelined is the outcome of decompressing while formatting.
type pipelined struct {
	out    layerOutput
	pretty *prettyJSON // nil when the output did not start like JSON
	err    error       // the formatter's verdict on the output
}

// decompressAndFormat decompresses src in a second goroutine and, if the
// output starts like a JSON object or array, pretty-prints it on this one
// while it is being produced. For a large COMPRESSED: value, gunzip and the
// formatter cost about the same, so on two cores this nearly halves the
// time to show it. The result is only used when both sides succeeded; any
// failure falls back to the ordinary sequential path.
func decompressAndFormat(c codec, src []byte, limit int) pipelined {
	feed := newByteFeed()
	done := make(chan layerOutput, 1)
	go func() {
		var out layerOutput
		defer func() {
			if r := recover(); r != nil {
				out = layerOutput{err: fmt.Errorf("decoder failed: %v", r)}
			}
			feed.publish(out.data)
			feed.close()
			done <- out
		}()
		out = c.decompress(src, limit, feed)
	}()

	// Wait for the first byte that is not whitespace.
	var head []byte
	for more := true; more; {
		head, more = feed.wait(len(head))
		if len(trimASCIISpace(head)) > 0 {
			break
		}
	}
	first := trimASCIISpace(head)
	if len(first) == 0 || (first[0] != '{' && first[0] != '[') {
		return pipelined{out: <-done}
	}

	f := jsonFormatter{src: head, feed: feed, limit: limit}
	expected := 4 * len(src) // typical JSON compression ratio, if the codec does not say
	if c.sizeHint != nil {
		if h := c.sizeHint(src); h > 0 {
			expected = h
		}
	}
	f.buf = make([]byte, min(limit, expected+expected/2+64))
	pretty, err := f.run()
	out := <-done
	return pipelined{out: out, pretty: &pretty, err: err}
}
