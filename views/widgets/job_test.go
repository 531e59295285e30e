package widgets

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Progress replaces the last one while it is unread; the final message gets
// through; Wait says nil once the work has ended.
func TestJobOfferReplacesSendDelivers(t *testing.T) {
	j := NewJob(7)
	offered := make(chan struct{})
	j.Start(func(ctx context.Context) {
		j.Offer("p1")
		j.Offer("p2") // p1 is unread: replaced by the newer p2
		close(offered)
		j.Send("final")
	})
	<-offered
	assert.Equal(t, "p2", j.Wait()(), "the newest progress is what the pane sees")
	assert.Equal(t, "final", j.Wait()())
	assert.Nil(t, j.Wait()(), "the job has ended")
	assert.True(t, j.HasEnded())
	assert.EqualValues(t, 7, j.ID)
}

// RequestCancel ends the work's context; Stop lets the work end though
// nobody reads its final message, and reports whether it ended in time.
func TestJobStopEndsAWorkNobodyReads(t *testing.T) {
	j := NewJob(1)
	release := make(chan struct{})
	j.Start(func(ctx context.Context) {
		<-ctx.Done()
		<-release
		j.Send("final") // nobody reads it: Stop's quit lets it go
	})
	assert.False(t, j.Cancelled())
	assert.False(t, j.Stop(time.Millisecond), "the work is held: not ended in time")
	assert.True(t, j.Cancelled())
	assert.False(t, j.HasEnded())
	close(release)
	require.True(t, j.WaitEnded(20*time.Second))
	select {
	case <-j.Ended():
	default:
		t.Fatal("Ended is not closed")
	}
	assert.True(t, j.Stop(time.Second), "a second stop of an ended job returns at once")
}
