package redisops

import (
	"context"
	"errors"
)

// MemoryFromBackup computes the namespace breakdown of a backup file (an
// RDB file or a logical backup) locally, sending nothing to any server.
// Every key is counted and sized, so the report is exact.
func MemoryFromBackup(ctx context.Context, path string, o MemoryOptions) (*MemoryReport, error) {
	_, _, _ = ctx, path, o
	return nil, errors.New("memory from backup: not built yet")
}
