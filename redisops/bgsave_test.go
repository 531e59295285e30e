package redisops_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coldcopy/cachedeck/internal/redistest"
	"github.com/coldcopy/cachedeck/redisops"
)

// slowSave makes every RDB save (and AOF rewrite) take about keys*delay:
// rdb-key-save-delay is in microseconds per key.
const slowSave = "rdb-key-save-delay 2000"

func TestBGSaveWaitsAndReports(t *testing.T) {
	srv := redistest.Standalone(t, slowSave)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	fillKeys(t, c.Redis(), "k", 300) // ~0.6 s of saving

	var mu sync.Mutex
	var progress []redisops.BGSaveProgress
	res, err := c.BGSave(ctx, redisops.BGSaveOptions{Poll: 50 * time.Millisecond, Progress: func(p redisops.BGSaveProgress) {
		mu.Lock()
		progress = append(progress, p)
		mu.Unlock()
	}})
	require.NoError(t, err)
	assert.False(t, res.Joined)
	assert.False(t, res.Scheduled)
	assert.False(t, res.Cancelled)
	assert.EqualValues(t, 300, res.ChangesBefore)
	assert.GreaterOrEqual(t, res.ForkUsec, int64(0))
	assert.GreaterOrEqual(t, res.COWBytes, int64(0))
	assert.EqualValues(t, 300, res.KeysTotal, "a poll saw the save running")
	assert.Greater(t, res.Duration, 500*time.Millisecond, "the wait covers the whole save")
	assert.FileExists(t, filepath.Join(srv.Dir, "dump.rdb"))
	p, err := c.ReadPersistence(ctx)
	require.NoError(t, err)
	assert.False(t, p.BGSaveInProgress, "BGSave returns once the save has ended")
	assert.Zero(t, p.ChangesSinceSave)
	assert.Equal(t, p.LastSaveTime, res.LastSaveTime.Unix())
	require.NotEmpty(t, progress)
	assert.Equal(t, redisops.PhaseSaving, progress[0].Phase)
}

func TestBGSaveJoinsASaveAlreadyRunning(t *testing.T) {
	srv := redistest.Standalone(t, slowSave)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	fillKeys(t, c.Redis(), "k", 400)
	require.NoError(t, c.Redis().BgSave(ctx).Err())

	res, err := c.BGSave(ctx, redisops.BGSaveOptions{Poll: 50 * time.Millisecond})
	require.NoError(t, err)
	assert.True(t, res.Joined, "the running save is waited for, not refused")
	p, err := c.ReadPersistence(ctx)
	require.NoError(t, err)
	assert.False(t, p.BGSaveInProgress)
	assert.True(t, p.LastBGSaveOK)
	assert.EqualValues(t, 1, p.Saves, "no second save was started")
}

func TestBGSaveDuringAOFRewriteIsScheduled(t *testing.T) {
	srv := redistest.Standalone(t, slowSave, "appendonly yes")
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	fillKeys(t, c.Redis(), "k", 400)
	// Wait for the start-up rewrite appendonly may run, then start ours.
	require.Eventually(t, func() bool {
		return c.Redis().Do(ctx, "bgrewriteaof").Err() == nil
	}, 10*time.Second, 50*time.Millisecond)
	before, err := c.ReadPersistence(ctx)
	require.NoError(t, err)
	require.True(t, before.AOFRewriteInProgress || before.AOFRewriteScheduled)

	var mu sync.Mutex
	phases := map[string]bool{}
	res, err := c.BGSave(ctx, redisops.BGSaveOptions{Poll: 50 * time.Millisecond, Progress: func(p redisops.BGSaveProgress) {
		mu.Lock()
		phases[p.Phase] = true
		mu.Unlock()
	}})
	require.NoError(t, err)
	assert.True(t, res.Scheduled, "BGSAVE SCHEDULE during a rewrite")
	assert.True(t, phases[redisops.PhaseWaitingAOF])
	p, err := c.ReadPersistence(ctx)
	require.NoError(t, err)
	assert.False(t, p.AOFRewriteInProgress, "the save ran after the rewrite")
	assert.EqualValues(t, before.Saves+1, p.Saves, "exactly one save ran")
	assert.True(t, p.LastBGSaveOK)
}

// breakSaves makes every save of srv fail: the server cannot write its
// dir, and (since tests may run as root, which ignores modes) the final
// name is taken by a directory, so the rename fails too.
func breakSaves(t *testing.T, dir string) (repair func()) {
	t.Helper()
	target := filepath.Join(dir, "dump.rdb")
	_ = os.Remove(target)
	require.NoError(t, os.Mkdir(target, 0o700))
	require.NoError(t, os.Chmod(dir, 0o500))
	repair = func() {
		_ = os.Chmod(dir, 0o700)
		_ = os.Remove(target)
	}
	t.Cleanup(repair)
	return repair
}

func TestBGSaveFailingSaveIsAnError(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	ctx := context.Background()
	fillKeys(t, c.Redis(), "k", 50)
	repair := breakSaves(t, srv.Dir)

	res, err := c.BGSave(ctx, redisops.BGSaveOptions{Poll: 20 * time.Millisecond})
	var failed *redisops.BGSaveFailedError
	require.ErrorAs(t, err, &failed, "a failed save must not be reported as done (LASTSAVE does not move)")
	assert.Contains(t, err.Error(), "rdb_last_bgsave_status:err")
	require.NotNil(t, res)
	assert.False(t, res.PreviousFailed)

	repair()
	res, err = c.BGSave(ctx, redisops.BGSaveOptions{Poll: 20 * time.Millisecond})
	require.NoError(t, err)
	assert.True(t, res.PreviousFailed, "the result says the save before it had failed")
	assert.FileExists(t, filepath.Join(srv.Dir, "dump.rdb"))
}

func TestBGSaveRefusedIsTyped(t *testing.T) {
	srv := redistest.Standalone(t, `rename-command BGSAVE ""`)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	_, err := c.BGSave(context.Background(), redisops.BGSaveOptions{})
	var re *redisops.RefusedError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "BGSAVE", re.Command)
	assert.Contains(t, re.Reason, "renamed or blocked")

	r := redistest.Restricted(t)
	app := connect(t, redisops.ConnOptions{URL: r.URL(), User: r.AdminUser, Password: r.AdminPassword})
	_, err = app.BGSave(context.Background(), redisops.BGSaveOptions{})
	require.ErrorAs(t, err, &re)
	assert.Contains(t, re.Reason, "denied by ACL")
	assert.NotContains(t, err.Error(), r.AdminPassword)
}

func TestBGSaveCancelStopsWaitingOnly(t *testing.T) {
	srv := redistest.Standalone(t, "rdb-key-save-delay 5000")
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	fillKeys(t, c.Redis(), "k", 400) // ~2 s
	ctx, cancel := context.WithCancel(context.Background())
	res, err := c.BGSave(ctx, redisops.BGSaveOptions{Poll: 20 * time.Millisecond, Progress: func(redisops.BGSaveProgress) { cancel() }})
	require.NoError(t, err)
	assert.True(t, res.Cancelled)
	p, err := c.ReadPersistence(context.Background())
	require.NoError(t, err)
	assert.True(t, p.BGSaveInProgress, "the save goes on after the wait is cancelled")
	require.Eventually(t, func() bool {
		p, err := c.ReadPersistence(context.Background())
		return err == nil && !p.BGSaveInProgress && p.LastBGSaveOK
	}, 20*time.Second, 50*time.Millisecond)
}

func TestForkRiskOfALocalServer(t *testing.T) {
	srv := redistest.Standalone(t)
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	r := c.ForkRisk(context.Background())
	assert.Greater(t, r.UsedMemory, int64(0))
	assert.Greater(t, r.Available, int64(0), "a loopback server runs on this machine: its free memory is known")
	assert.Empty(t, r.Warning, "an empty server risks nothing")
}

func TestCommandRefusedSaysWhyBeforeRunning(t *testing.T) {
	srv := redistest.Standalone(t, `rename-command SYNC ""`, "user ops on >ops-pw ~* &* +@all -bgsave -psync")
	c := connect(t, redisops.ConnOptions{URL: srv.URL()})
	assert.Contains(t, c.CommandRefused(context.Background(), "sync"), "renamed or blocked")
	assert.Empty(t, c.CommandRefused(context.Background(), "bgsave"), "the default user may BGSAVE")

	ops := connect(t, redisops.ConnOptions{URL: srv.URL(), User: "ops", Password: "ops-pw"})
	why := ops.CommandRefused(context.Background(), "bgsave")
	assert.Contains(t, why, "denied by ACL")
	assert.NotContains(t, why, "ops-pw")
	_, err := ops.BGSave(context.Background(), redisops.BGSaveOptions{})
	var re *redisops.RefusedError
	require.ErrorAs(t, err, &re, "the command's own refusal is typed too")
	assert.Contains(t, re.Reason, "denied by ACL")
}
