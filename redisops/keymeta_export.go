package redisops

import "context"

// KeyMeta fetches TYPE and PTTL of keys in one pipelined round trip (one per
// node in a cluster: go-redis splits the pipeline by slot). The result is in
// the order of keys; TTL follows ScannedKey's convention (-1 no TTL, -2 the
// key does not exist, whose Type is then "none"). It serves callers that
// scan without WithMeta and fetch metadata only for the keys they show.
func (c *Client) KeyMeta(ctx context.Context, keys []string) ([]ScannedKey, error) {
	out := make([]ScannedKey, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	for i, k := range keys {
		out[i].Key = k
	}
	if err := keyMeta(ctx, c.rdb, "", out); err != nil {
		return nil, err
	}
	return out, nil
}
