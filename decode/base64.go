package decode

import (
	"encoding/base64"
	"fmt"
)

// base64Class sorts bytes for the alphabet check: a table lookup per byte
// keeps checking a 1 MiB COMPRESSED: payload well under a millisecond.
const (
	b64Std = 1 << iota // + or /
	b64URL             // - or _
	b64Bad             // not base64 at all
)

var base64Class = func() (t [256]byte) {
	for c := range t {
		t[c] = b64Bad
	}
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") {
		t[c] = 0
	}
	t['+'], t['/'] = b64Std, b64Std
	t['-'], t['_'] = b64URL, b64URL
	return t
}()

// base64Text is text that parsed as base64, ready to decode.
type base64Text struct {
	enc     *base64.Encoding // a Raw (unpadded) encoding: padding is stripped first
	payload []byte           // the characters without padding
}

// parseBase64 recognises base64 text: the standard or URL alphabet (not a
// mix), padded or not, at least 4 characters. When cut is set the text is
// known to be a prefix, so an incomplete last quantum is dropped instead of
// rejecting the whole.
func parseBase64(b []byte, cut bool) (base64Text, bool) {
	b = trimASCIISpace(b)
	if len(b) < 4 {
		return base64Text{}, false
	}
	pad := 0
	for pad < 2 && len(b) > 0 && b[len(b)-1] == '=' {
		b = b[:len(b)-1]
		pad++
	}
	if pad > 0 && (len(b)+pad)%4 != 0 && !cut {
		return base64Text{}, false
	}
	var seen byte
	for _, c := range b {
		seen |= base64Class[c]
	}
	std, url := seen&b64Std != 0, seen&b64URL != 0
	if seen&b64Bad != 0 {
		return base64Text{}, false
	}
	if std && url {
		return base64Text{}, false
	}
	if len(b)%4 == 1 {
		if !cut {
			return base64Text{}, false // no encoder produces this length
		}
		b = b[:len(b)-1]
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	return base64Text{enc: enc, payload: b}, len(b) > 0
}

// decode returns at most limit bytes, and whether it had to stop there.
func (t base64Text) decode(limit int) ([]byte, bool, error) {
	payload := t.payload
	capped := false
	if t.enc.DecodedLen(len(payload)) > limit {
		// Decode whole quanta only, up to the cap.
		payload = payload[:limit/3*4]
		capped = true
	}
	out := make([]byte, t.enc.DecodedLen(len(payload)))
	n, err := t.enc.Decode(out, payload)
	if err != nil {
		return out[:n], capped, fmt.Errorf("base64: %w", err)
	}
	return out[:n], capped, nil
}

func trimASCIISpace(b []byte) []byte {
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isJSONSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// base64TrialLimit: base64 text longer than this is decoded only when its
// first bytes already look like something (a signature, a JSON or
// MessagePack container). A long run of letters is valid base64; decoding
// all of it and trial-decompressing the garbage would cost tens of MiB for
// nothing.
const base64TrialLimit = 1 << 20

// worthDecoding is a cheap look at the first decoded bytes.
func (t base64Text) worthDecoding() bool {
	if len(t.payload) <= base64TrialLimit {
		return true
	}
	head := make([]byte, 48)
	n, err := t.enc.Decode(head, t.payload[:64])
	if err != nil {
		return false
	}
	head = head[:n]
	if _, ok := magicCodecFor(head); ok {
		return true
	}
	return startsContainer(head) || isMsgpackContainerStart(head)
}
