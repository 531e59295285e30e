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

// The console waits for a mutation still running when it exits, the
// mutation's outcome is in the log once the wait returns, and no mutation
// starts after that.
func TestFinishAuditedWaitsForTheOutcome(t *testing.T) {
	mutations = &inFlight{} // a console of its own
	t.Cleanup(func() { mutations = &inFlight{} })
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
	exited := make(chan bool)
	go func() { exited <- FinishAudited(10 * time.Second) }()
	select {
	case <-exited:
		t.Fatal("FinishAudited returned while the mutation was still running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	require.True(t, <-exited)
	entries, err := audit.ReadTail(path, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, audit.Attempted, entries[0].Outcome)
	assert.Equal(t, audit.Done, entries[1].Outcome)
	res := <-finished
	require.NotNil(t, res.Log)
	require.NoError(t, res.Log.Close())

	// A command that starts only now, after the exit began, changes
	// nothing and logs nothing.
	ran := false
	late := RunAudited(nil, path, audit.Entry{Server: "s:1", Action: "delete-key", Key: "k2"}, time.Minute, func(context.Context) error {
		ran = true
		return nil
	})
	assert.False(t, ran)
	assert.ErrorIs(t, late.Blocked, errExiting)
	entries, err = audit.ReadTail(path, 10)
	require.NoError(t, err)
	assert.Len(t, entries, 2)
}

func TestFinishAuditedWithNothingRunning(t *testing.T) {
	mutations = &inFlight{}
	t.Cleanup(func() { mutations = &inFlight{} })
	assert.True(t, FinishAudited(0))
}
