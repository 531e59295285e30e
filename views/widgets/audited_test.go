package widgets

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/audit"
)

// The console waits for a mutation still running when it exits, and the
// mutation's outcome is in the log once the wait returns.
func TestWaitAuditedWaitsForTheOutcome(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	release := make(chan struct{})
	started := make(chan struct{})
	finished := make(chan Audited)
	go func() {
		finished <- RunAudited(nil, path, audit.Entry{Server: "s:1", Action: "delete-key", Key: "k"}, time.Minute, func(context.Context) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	assert.False(t, WaitAudited(20*time.Millisecond), "the mutation is still running")
	close(release)
	require.True(t, WaitAudited(10*time.Second))
	entries, err := audit.ReadTail(path, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	res := <-finished
	require.NotNil(t, res.Log)
	require.NoError(t, res.Log.Close())
	assert.True(t, WaitAudited(time.Second), "nothing in flight")
}
