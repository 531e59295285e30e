package decode

import "fmt"

// Options bounds how much work and memory one Decode may use. A cache can
// hold hostile or broken values (a gzip bomb is a few KiB), so every limit
// applies to every layer.
type Options struct {
	MaxOutput   int // cap on decompressed bytes (each layer and the final value); default 16 MiB
	MaxDepth    int // max layers peeled; default 8
	MaxHexBytes int // bytes rendered by the hex dump; default 64 KiB
}

const (
	defaultMaxOutput   = 16 << 20
	defaultMaxDepth    = 8
	defaultMaxHexBytes = 64 << 10
)

// DefaultOptions are the limits the console uses unless told otherwise.
func DefaultOptions() Options {
	return Options{
		MaxOutput:   defaultMaxOutput,
		MaxDepth:    defaultMaxDepth,
		MaxHexBytes: defaultMaxHexBytes,
	}
}

// withDefaults fills zero or negative fields, so Options{} behaves like
// DefaultOptions() instead of "no output allowed".
func (o Options) withDefaults() Options {
	if o.MaxOutput <= 0 {
		o.MaxOutput = defaultMaxOutput
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = defaultMaxDepth
	}
	if o.MaxHexBytes <= 0 {
		o.MaxHexBytes = defaultMaxHexBytes
	}
	return o
}

// Result is what one value turned out to be.
type Result struct {
	Layers    []string `json:"layers"`    // peeling order, names from: coldcopy-compressed, coldcopy-lz, base64, gzip, zlib, deflate, zstd, lz4, snappy, brotli, lz-string
	Format    string   `json:"format"`    // "json" | "msgpack" | "text" | "binary"
	Text      string   `json:"text"`      // pretty JSON for json and msgpack; the text; a hex dump for binary
	Truncated bool     `json:"truncated"` // any cap hit (output cap, hex cap, or input was already truncated)
	Damaged   bool     `json:"damaged"`   // the value is damaged so the app cannot read it (the LZ: case)
	Warnings  []string `json:"warnings"`  // never nil in JSON output: an empty slice
}

// Format names used in Result.Format.
const (
	FormatJSON    = "json"
	FormatMsgpack = "msgpack"
	FormatText    = "text"
	FormatBinary  = "binary"
)

// Layer names used in Result.Layers.
const (
	LayerColdcopyCompressed = "coldcopy-compressed"
	LayerColdcopyLZ         = "coldcopy-lz"
	LayerBase64             = "base64"
	LayerGzip               = "gzip"
	LayerZlib               = "zlib"
	LayerDeflate            = "deflate"
	LayerZstd               = "zstd"
	LayerLZ4                = "lz4"
	LayerSnappy             = "snappy"
	LayerBrotli             = "brotli"
	LayerLZString           = "lz-string"
)

// humanBytes renders a size the way the warnings talk about caps: "16 MiB",
// "64 KiB", "1234 bytes".
func humanBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
