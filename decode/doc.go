// Package decode turns a raw cache value into something a person can read,
// safely.
//
// Decode peels layers off a value and names each: the ColdCopy app's two
// framings (CacheService's "COMPRESSED:" + base64(gzip(JSON)) and
// RedisManager's "LZ:" + lz-string), base64, and gzip, zlib, zstd, LZ4,
// snappy (framed and raw block), brotli and raw deflate. Formats with a
// signature are recognised by it; the others only by a trial decode that
// must consume the input exactly and produce something recognisable. What
// is left is shown as pretty JSON (MessagePack too), text, or a hex dump.
//
// Values come from a production cache and may be broken or hostile, so:
//   - every decompressor stops at Options.MaxOutput (a 1 GiB gzip bomb costs
//     16 MiB and a few milliseconds), announced sizes are never trusted, and
//     nesting stops at Options.MaxDepth;
//   - a failure names its layer and says how far it got, and what was
//     recovered is shown as text, never as a clean decode;
//   - Result.Text is safe to write to a terminal: no control characters
//     other than tab and line breaks, no DEL or C1 controls, valid UTF-8.
//
// LZ: values are usually damaged beyond the app's own ability to read them
// (ioredis stores lz-string's 16-bit output as UTF-8, replacing every lone
// surrogate with U+FFFD). Decode says so (Result.Damaged) and shows the
// exact prefix that can still be recovered.
//
// The lz-string port (LZStringCompress, LZStringDecompress) is bit-for-bit
// compatible with lz-string 1.5.0, checked against fixtures made by the real
// library (testdata/lzstring/README.md).
package decode
