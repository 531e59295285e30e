package redisops

import (
	"context"
	"errors"
	"time"

	"github.com/coldcopy/cachedeck/rdb"
)

// RDBDownload is a finished RDB download.
type RDBDownload struct {
	Path     string        // the verified file, renamed into place
	Bytes    int64         // its size
	Diskless bool          // the server sent the $EOF:<mark> form
	Duration time.Duration // from the request to the verified file
	Info     rdb.Info
}

// DownloadRDB asks the server for an RDB over the replication protocol
// (REPLCONF rdb-only, SYNC), the way redis-cli --rdb does, and writes it to
// path, which must not exist, through a temp file in the same directory:
// written, fsynced, verified, then renamed; mode 0600. progress, when set,
// is called with the bytes received and the total (-1 when the diskless
// form gives none).
func (c *Client) DownloadRDB(ctx context.Context, path string, progress func(received, total int64)) (RDBDownload, error) {
	_, _, _ = ctx, path, progress
	return RDBDownload{}, errors.New("rdb download: not built yet")
}
