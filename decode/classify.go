package decode

import "bytes"

// Storage is how a string value is stored, as far as a policy audit cares:
// compressed or not, by which framing or codec, and whether it is a
// damaged LZ: value the app cannot read.
type Storage struct {
	Compressed bool
	// Layer is the outermost framing or codec (LayerColdcopyLZ, LayerGzip…);
	// "" for a plain value.
	Layer   string
	Damaged bool
}

// classifyLimit bounds the output of a classification's decode: enough to
// see what is inside, never the whole of a big value.
const classifyLimit = 64 << 10

// Classify tells how value is stored, with the same detection Decode uses
// (app framings, magic bytes, trial decodes). cut says value is only a
// prefix of the stored string (a bounded GETRANGE); a damaged LZ: value is
// then recognised when its damage starts within the prefix. JSON text, the
// common case, is recognised without decoding.
func Classify(value []byte, cut bool) Storage {
	for _, c := range value {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if c == '{' || c == '[' || c == '"' {
			return Storage{} // JSON.stringify output, stored as is
		}
		break
	}
	// The markers and signatures answer without decoding: only LZ: values
	// holding U+FFFD (damaged, or a genuine U+FFFD to tell apart), base64
	// text and codecs without magic need the decoder.
	switch {
	case bytes.HasPrefix(value, []byte(prefixCompressed)):
		return Storage{Compressed: true, Layer: LayerColdcopyCompressed}
	case bytes.HasPrefix(value, []byte(prefixLZ)) && !bytes.Contains(value, []byte("\xef\xbf\xbd")):
		return Storage{Compressed: true, Layer: LayerColdcopyLZ}
	}
	if c, ok := magicCodecFor(value); ok && !c.weakMagic {
		return Storage{Compressed: true, Layer: c.name}
	}
	r := decodeValue(value, Options{MaxOutput: classifyLimit}, cut)
	s := Storage{Damaged: r.Damaged}
	for _, l := range r.Layers {
		if l == LayerBase64 {
			continue // base64 alone encodes, it does not compress
		}
		s.Compressed = true
		if s.Layer == "" {
			s.Layer = l
		}
	}
	return s
}
