package redisops

import (
	"context"
	"errors"
)

// CountProgress is how far CountKeys has got: the pattern being walked
// (its index) and its keys so far.
type CountProgress struct {
	Pattern int
	Keys    int64
}

// CountKeys counts the distinct keys each pattern matches, exactly: SCAN
// MATCH on every master (duplicates SCAN returns are dropped), or one
// EXISTS for a pattern without wildcards. Every SCAN call is paced by gov
// (nil: unpaced). A key that exists for the whole walk is counted once;
// one created or deleted during it may or may not be (SCAN's guarantee).
// progress (optional) is called after each batch. On error or
// cancellation the counts so far come back with the error.
func (c *Client) CountKeys(ctx context.Context, patterns []string, gov *Governor, progress func(CountProgress)) ([]int64, error) {
	if err := checkPatterns(patterns); err != nil {
		return nil, errors.New("count: no pattern, or an empty one")
	}
	counts := make([]int64, len(patterns))
	for i, pat := range patterns {
		if progress != nil {
			progress(CountProgress{Pattern: i})
		}
		err := c.walkPattern(ctx, ScanOptions{Match: pat, Governor: gov}, func(batch []ScannedKey) error {
			counts[i] += int64(len(batch))
			if progress != nil {
				progress(CountProgress{Pattern: i, Keys: counts[i]})
			}
			return nil
		})
		if err != nil {
			return counts, err
		}
		if err := ctx.Err(); err != nil {
			return counts, err
		}
	}
	return counts, nil
}
