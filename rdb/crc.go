package rdb

import "hash/crc64"

// Redis's CRC64 is the Jones polynomial, reflected, with no initial or
// final inversion. The standard library's crc64 inverts on the way in and
// out, so every update undoes that.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// crcUpdate extends a Redis CRC64 over p.
func crcUpdate(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}

// CRC64 is the checksum Redis puts after an RDB file and a DUMP payload.
func CRC64(p []byte) uint64 { return crcUpdate(0, p) }
