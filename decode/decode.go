package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/klauspost/compress/zlib"
)

// Decode peels the layers of a cache value (app framings, base64,
// compression) and identifies what is inside: JSON, MessagePack, text or
// binary. It never panics and never uses more than the Options allow.
func Decode(value []byte, opts Options) Result {
	return decodeValue(value, opts, false)
}

// DecodeTruncated is Decode for a value the caller already cut short
// (GETRANGE of a huge string): it marks Truncated and does not call a prefix
// "corrupt" without saying it was cut.
func DecodeTruncated(value []byte, opts Options) Result {
	return decodeValue(value, opts, true)
}

// state is one decode in progress.
type state struct {
	opts      Options
	layers    []string
	warnings  []string
	truncated bool
	damaged   bool
	// partial: the data in hand is known to be only a prefix of the real
	// data (the value was cut, a layer hit the cap or stopped on an error).
	// A prefix is never claimed to be JSON and its decode errors are
	// expected ones.
	partial bool
	// partialWhy says why the data is a prefix, for the warnings.
	partialWhy string
	// inputCut: the prefix comes from the caller cutting the value, so
	// errors are worded as "cut short", not "corrupt".
	inputCut bool
	// owned: the data in hand was made by us (a decoder's output), not
	// the caller's value, so Text may share its memory instead of copying
	// up to MaxOutput bytes.
	owned bool

	format string
	text   string
}

func decodeValue(value []byte, opts Options, cut bool) Result {
	st := &state{opts: opts.withDefaults(), truncated: cut}
	if cut {
		st.setPartial("the value was cut short")
		st.inputCut = true
		st.warn("the value was cut short at %d bytes before decoding; what follows is decoded from that prefix", len(value))
	}
	switch {
	case bytes.HasPrefix(value, []byte(prefixCompressed)):
		st.decodeCompressedFraming(value[len(prefixCompressed):])
	case bytes.HasPrefix(value, []byte(prefixLZ)):
		st.decodeLZFraming(value[len(prefixLZ):])
	default:
		st.peel(value, 0)
	}
	return st.result()
}

func (st *state) result() Result {
	layers := st.layers
	if layers == nil {
		layers = []string{}
	}
	warnings := st.warnings
	if warnings == nil {
		warnings = []string{}
	}
	return Result{
		Layers:    layers,
		Format:    st.format,
		Text:      st.text,
		Truncated: st.truncated,
		Damaged:   st.damaged,
		Warnings:  warnings,
	}
}

// setPartial records that the data is only a prefix; the first reason wins.
func (st *state) setPartial(why string) {
	if !st.partial {
		st.partial, st.partialWhy = true, why
	}
}

func (st *state) warn(format string, args ...any) {
	st.warnings = append(st.warnings, fmt.Sprintf(format, args...))
}

// peel removes layers until the data is something to show. depth counts
// the layers peeled so far, including framings.
func (st *state) peel(data []byte, depth int) {
	for ; ; depth++ {
		if depth >= st.opts.MaxDepth {
			if st.looksLayered(data) {
				st.warn("stopped after %d layers (the depth limit); the rest is shown as is", depth)
			}
			st.show(data)
			return
		}
		if c, ok := magicCodecFor(data); ok {
			next, claimed, done := st.runCodec(c, data)
			if done {
				return
			}
			if claimed {
				data = next
				continue
			}
		}
		if st.showJSON(data) {
			return
		}
		if st.isText(data) {
			if st.tryBase64(data, depth) {
				return
			}
			st.showText(data)
			return
		}
		if st.showMsgpack(data) {
			return
		}
		if next, ok := st.tryTrials(data); ok {
			data = next
			continue
		}
		st.showBinary(data)
		return
	}
}

// looksLayered: there is (probably) another layer to peel, so stopping at
// the depth limit deserves a warning.
func (st *state) looksLayered(data []byte) bool {
	_, ok := magicCodecFor(data)
	if ok {
		return true
	}
	_, ok = parseBase64(data, st.partial)
	return ok && !isJSONValue(data)
}

// runCodec decodes one signature-identified layer. A strong signature is
// claimed even when decoding fails part way (the warning and the partial
// output are the useful answer); when nothing at all came out, the warning
// stands and the raw bytes are shown. A weak signature is claimed only when
// it produced something, and for data that reads as text only when it
// decoded cleanly.
func (st *state) runCodec(c codec, data []byte) (next []byte, claimed, done bool) {
	var out layerOutput
	if len(data) >= pipelineMinInput && !st.partial {
		p := decompressAndFormat(c, data, st.opts.MaxOutput)
		out = p.out
		if p.pretty != nil && p.err == nil && out.err == nil && !out.capped {
			st.claimLayer(c.name, out)
			st.acceptJSON(*p.pretty)
			return nil, true, true
		}
	} else {
		out = c.decompress(data, st.opts.MaxOutput, nil)
	}
	if out.err != nil && c.weakMagic && !weakClaimOK(out, st.isText(data)) {
		return nil, false, false
	}
	if out.err != nil && len(out.data) == 0 {
		st.warnings = append(st.warnings, layerWarning(c.name, out.err, 0, st.inputCut))
		st.showBinary(data)
		return nil, false, true
	}
	st.claimLayer(c.name, out)
	return out.data, true, false
}

// weakClaimOK decides whether a failed decode behind a two-byte signature
// still counts: only a stream that was going well and simply ended early
// (a cut value) or that decoded fully but failed its checksum, and never for data that reads as text ("x^2 + y^2" has a
// valid zlib header). Random bytes that happen to start 78 9c decode to
// garbage before failing; showing that garbage would be worse than the raw
// bytes.
func weakClaimOK(out layerOutput, isText bool) bool {
	return !isText && len(out.data) > 0 &&
		(errors.Is(out.err, io.ErrUnexpectedEOF) || errors.Is(out.err, zlib.ErrChecksum))
}

// claimLayer records a peeled layer and what its decode said.
func (st *state) claimLayer(name string, out layerOutput) {
	st.layers = append(st.layers, name)
	st.owned = true
	if out.err != nil {
		st.warnings = append(st.warnings, layerWarning(name, out.err, len(out.data), st.inputCut))
		st.setPartial(name + " stopped early")
	}
	if out.capped {
		st.warnings = append(st.warnings, capWarning(name, st.opts.MaxOutput))
		st.truncated = true
		st.setPartial("the decompressed output was capped")
	}
}

// tryTrials decodes data with each signature-less codec and takes the
// first that uses up the whole input cleanly and yields something we
// recognise. A trial that fails is never reported: it was only a guess.
func (st *state) tryTrials(data []byte) ([]byte, bool) {
	if st.partial || len(data) < 2 {
		// A prefix cannot pass "consumes the input exactly".
		return nil, false
	}
	for _, c := range trialCodecs {
		out := c.decompress(data, st.opts.MaxOutput, nil)
		switch {
		case out.err != nil:
			continue
		case out.capped:
			// Too big to check that the input is used up exactly: the part
			// we have must look right on its own.
			if !isRecognisedPrefix(out.data) {
				continue
			}
		case !out.consumedAll || !isRecognised(out.data):
			continue
		}
		st.claimLayer(c.name, out)
		return out.data, true
	}
	return nil, false
}

// isRecognised says whether a trial's output is plausibly real data rather
// than a decoder's luck on random bytes.
func isRecognised(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if hasStrongMagic(b) || isJSONValue(b) || isDisplayableText(b) {
		return true
	}
	if isMsgpackContainerStart(b) {
		_, err := msgpackToJSON(b, 0)
		return err == nil
	}
	return false
}

// isRecognisedPrefix is isRecognised for the first part of a larger output.
func isRecognisedPrefix(b []byte) bool {
	if hasStrongMagic(b) || isDisplayableText(trimIncompleteRune(b)) {
		return true
	}
	_, err := formatJSON(b, 0)
	return err == nil || errors.Is(err, errJSONIncomplete)
}

// isJSONValue validates without keeping any output.
func isJSONValue(b []byte) bool {
	_, err := formatJSON(b, 0)
	return err == nil
}

// tryBase64 decodes base64 text and keeps the result only if what is
// inside is recognised: a compressed layer, a JSON object or array, or a
// MessagePack container. "hello" or a hex id stays text.
func (st *state) tryBase64(data []byte, depth int) bool {
	t, ok := parseBase64(data, st.partial)
	if !ok || !t.worthDecoding() {
		return false
	}
	decoded, capped, err := t.decode(st.opts.MaxOutput)
	if err != nil || len(decoded) == 0 {
		return false
	}
	sub := st.fork()
	sub.layers = []string{LayerBase64}
	sub.owned = true
	if capped {
		sub.warn("base64: decoded output capped at %s", humanBytes(st.opts.MaxOutput))
		sub.truncated = true
		sub.setPartial("the decoded base64 was capped")
	}
	sub.peel(decoded, depth+1)
	inner := sub.layers[1:]
	recognised := len(inner) > 0 ||
		sub.format == FormatMsgpack ||
		(sub.format == FormatJSON && startsContainer(decoded))
	if !recognised {
		return false
	}
	st.adopt(sub)
	return true
}

func startsContainer(b []byte) bool {
	b = trimASCIISpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// fork starts a tentative decode that can be adopted or thrown away.
func (st *state) fork() *state {
	return &state{opts: st.opts, partial: st.partial, partialWhy: st.partialWhy, inputCut: st.inputCut, owned: st.owned}
}

func (st *state) adopt(sub *state) {
	st.layers = append(st.layers, sub.layers...)
	st.warnings = append(st.warnings, sub.warnings...)
	st.truncated = st.truncated || sub.truncated
	st.damaged = st.damaged || sub.damaged
	st.partial, st.partialWhy = sub.partial, sub.partialWhy
	st.owned = sub.owned
	st.format, st.text = sub.format, sub.text
}

// show identifies data without peeling anything more off.
func (st *state) show(data []byte) {
	switch {
	case st.showJSON(data):
	case st.isText(data):
		st.showText(data)
	case st.showMsgpack(data):
	default:
		st.showBinary(data)
	}
}

// showJSON shows data as pretty JSON if it is JSON. A prefix that parses
// up to its end is shown as text: it is not a JSON value.
func (st *state) showJSON(data []byte) bool {
	first := trimASCIISpace(data)
	if len(first) == 0 || !isJSONStart(first[0]) {
		return false
	}
	if st.partial {
		// A prefix usually ends mid-value: check before allocating output.
		if _, err := formatJSON(data, 0); err != nil {
			if errors.Is(err, errJSONIncomplete) {
				st.showJSONPrefix(data)
				return true
			}
			return false
		}
	}
	pretty, err := formatJSON(data, st.opts.MaxOutput)
	if err != nil {
		return false
	}
	st.acceptJSON(pretty)
	return true
}

// acceptJSON shows a value that formatted as JSON.
func (st *state) acceptJSON(pretty prettyJSON) {
	st.format = FormatJSON
	st.text = bytesToString(pretty.text)
	if pretty.capped {
		st.truncated = true
		st.warn("json: pretty-printed output capped at %s", humanBytes(st.opts.MaxOutput))
	}
	if pretty.sanitized > 0 {
		st.warn("json: %d control or invalid UTF-8 characters inside strings are shown as \\u escapes", pretty.sanitized)
	}
}

// showJSONPrefix shows the start of a JSON value that was cut short. It is
// not JSON, so it is shown as text.
func (st *state) showJSONPrefix(data []byte) {
	st.format = FormatText
	st.text = safeText(capBytes(trimIncompleteRune(data), st.opts.MaxOutput), st.owned)
	st.warn("json: the data ends early (%s); shown as text, not parsed as JSON", st.partialWhy)
}

func isJSONStart(c byte) bool {
	switch c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	}
	return c >= '0' && c <= '9'
}

func (st *state) isText(data []byte) bool {
	if st.partial {
		data = trimIncompleteRune(data)
	}
	return isDisplayableText(data)
}

func (st *state) showText(data []byte) {
	if st.partial {
		data = trimIncompleteRune(data)
	}
	st.format = FormatText
	if len(data) > st.opts.MaxOutput {
		st.truncated = true
		st.warn("text capped at %s", humanBytes(st.opts.MaxOutput))
		data = trimIncompleteRune(data[:st.opts.MaxOutput])
	}
	st.text = st.ownedString(data)
}

// ownedString turns data into Text, sharing memory when we own it.
func (st *state) ownedString(data []byte) string {
	if st.owned {
		return bytesToString(data)
	}
	return string(data)
}

func (st *state) showMsgpack(data []byte) bool {
	if !isMsgpackContainerStart(data) {
		return false
	}
	pretty, err := formatMsgpack(data, st.opts.MaxOutput)
	if err != nil {
		return false
	}
	st.format = FormatMsgpack
	st.text = bytesToString(pretty.text)
	if pretty.capped {
		st.truncated = true
		st.warn("msgpack: JSON rendering capped at %s", humanBytes(st.opts.MaxOutput))
	}
	return true
}

func (st *state) showBinary(data []byte) {
	st.format = FormatBinary
	if c, ok := magicCodecFor(data); ok && c.weakMagic {
		st.warn("%s: starts like a %s header but does not decompress", c.name, c.name)
	}
	shown := data
	if len(shown) > st.opts.MaxHexBytes {
		shown = shown[:st.opts.MaxHexBytes]
		st.truncated = true
		st.warn("hex dump shows the first %s of %d bytes", humanBytes(st.opts.MaxHexBytes), len(data))
	}
	st.text = hexDump(shown)
}

func capBytes(b []byte, limit int) []byte {
	if len(b) > limit {
		return b[:limit]
	}
	return b
}

// bytesToString hands a freshly built, never-again-written buffer to a
// string without copying it: pretty output can be tens of MiB and the copy
// is measurable in BenchmarkDecodeCompressed1MiB.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
