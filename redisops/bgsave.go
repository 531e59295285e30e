package redisops

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RefusedError is a command the server refused: renamed away, blocked by
// the provider (managed Valkey refuses BGSAVE, SAVE, LASTSAVE and SYNC), or
// denied by ACL. Reason says which, in the server's words.
type RefusedError struct {
	Command string // BGSAVE, SYNC, INFO, ...
	Reason  string // "denied by ACL: NOPERM ...", "renamed or blocked on this server: ..."
	Err     error
}

func (e *RefusedError) Error() string { return e.Command + " " + e.Reason }
func (e *RefusedError) Unwrap() error { return e.Err }

// AsRefused returns the refusal err carries: a *RefusedError, or a raw
// NOPERM / unknown-command reply (named by command). nil when err is not a
// refusal.
func AsRefused(err error, command string) *RefusedError {
	var re *RefusedError
	if errors.As(err, &re) {
		return re
	}
	if why := Refusal(err); why != "" {
		return &RefusedError{Command: command, Reason: why, Err: err}
	}
	if err != nil && strings.Contains(err.Error(), "not allowed") && strings.Contains(strings.ToLower(err.Error()), strings.ToLower(command)) {
		return &RefusedError{Command: command, Reason: "blocked on this server: " + firstLine(err.Error()), Err: err}
	}
	return nil
}

// BGSaveFailedError is a save the server ran and reported as failed
// (rdb_last_bgsave_status:err): a full disk, an unwritable dir, a failed
// fork. The server's log says why; INFO does not.
type BGSaveFailedError struct {
	Joined   bool
	Duration time.Duration
}

func (e *BGSaveFailedError) Error() string {
	who := "the save"
	if e.Joined {
		who = "the save already running (joined)"
	}
	return who + " failed on the server (rdb_last_bgsave_status:err): check the server's log, free disk space and that its dir is writable"
}

// Persistence is the part of INFO persistence (and the fork figures of
// INFO stats) a backup needs. Counters a server does not report are -1.
type Persistence struct {
	BGSaveInProgress     bool
	AOFRewriteInProgress bool
	AOFRewriteScheduled  bool
	ChangesSinceSave     int64
	LastSaveTime         int64 // Unix seconds (rdb_last_save_time)
	LastBGSaveOK         bool  // rdb_last_bgsave_status:ok
	LastBGSaveSec        int64 // rdb_last_bgsave_time_sec
	CurrentBGSaveSec     int64
	Saves                int64 // rdb_saves (7.0+): counted when a save forks
	LastCOWBytes         int64 // rdb_last_cow_size
	KeysProcessed        int64 // current_save_keys_processed (7.0+)
	KeysTotal            int64 // current_save_keys_total (7.0+)
}

// ReadPersistence reads INFO persistence from the one server.
func (c *Client) ReadPersistence(ctx context.Context) (Persistence, error) {
	if c.cluster != nil {
		return Persistence{}, errBGSaveCluster
	}
	return readPersistence(ctx, c.nodes[0])
}

func readPersistence(ctx context.Context, node *redis.Client) (Persistence, error) {
	m, err := node.InfoMap(ctx, "persistence").Result()
	if err != nil {
		if re := AsRefused(err, "INFO"); re != nil {
			return Persistence{}, re
		}
		return Persistence{}, fmt.Errorf("INFO persistence: %w", err)
	}
	p := m["Persistence"]
	num := func(k string) int64 {
		v, err := strconv.ParseInt(p[k], 10, 64)
		if err != nil {
			return -1
		}
		return v
	}
	return Persistence{
		BGSaveInProgress:     p["rdb_bgsave_in_progress"] == "1",
		AOFRewriteInProgress: p["aof_rewrite_in_progress"] == "1",
		AOFRewriteScheduled:  p["aof_rewrite_scheduled"] == "1",
		ChangesSinceSave:     num("rdb_changes_since_last_save"),
		LastSaveTime:         num("rdb_last_save_time"),
		LastBGSaveOK:         p["rdb_last_bgsave_status"] == "ok",
		LastBGSaveSec:        num("rdb_last_bgsave_time_sec"),
		CurrentBGSaveSec:     num("rdb_current_bgsave_time_sec"),
		Saves:                num("rdb_saves"),
		LastCOWBytes:         num("rdb_last_cow_size"),
		KeysProcessed:        num("current_save_keys_processed"),
		KeysTotal:            num("current_save_keys_total"),
	}, nil
}

var errBGSaveCluster = errors.New("BGSAVE on a cluster: run it on each master (connect to one node with its own --url)")

// BGSaveOptions shape a BGSAVE.
type BGSaveOptions struct {
	Poll     time.Duration // between two INFO persistence reads; default 250 ms
	Progress func(BGSaveProgress)
}

// BGSave phases.
const (
	PhaseWaitingAOF = "waiting for the AOF rewrite" // BGSAVE SCHEDULE: starts when the rewrite ends
	PhaseSaving     = "saving"
)

// BGSaveProgress is reported after every poll.
type BGSaveProgress struct {
	Phase                    string
	KeysProcessed, KeysTotal int64 // -1 when the server does not say
	Elapsed                  time.Duration
}

// BGSaveResult is a finished (or no longer awaited) BGSAVE.
type BGSaveResult struct {
	Joined    bool // a save was already running: it was waited for instead
	Scheduled bool // an AOF rewrite was running: BGSAVE SCHEDULE
	// Cancelled: the caller stopped waiting; the save goes on on the server.
	Cancelled        bool
	Duration         time.Duration // from the request to the save's end
	ServerSeconds    int64         // rdb_last_bgsave_time_sec
	COWBytes         int64         // rdb_last_cow_size
	ForkUsec         int64         // latest_fork_usec; -1 unknown
	ChangesBefore    int64         // rdb_changes_since_last_save when asked
	LastSaveTime     time.Time     // rdb_last_save_time after the save
	PreviousFailed   bool          // the save before this one had failed
	KeysTotal        int64         // keys the save wrote, when a poll saw it running; -1 unknown
	BeforeSave, Done Persistence
}

// BGSave asks the server for an RDB snapshot on its own disk and waits for
// it: INFO persistence first; a save already running is joined instead of
// failing; during an AOF rewrite it sends BGSAVE SCHEDULE. It polls until
// the save has ended (rdb_bgsave_in_progress:0 after it started, counted by
// rdb_saves where the server has it), then requires
// rdb_last_bgsave_status:ok and rdb_last_save_time at or after the request.
// Waiting only for LASTSAVE to move, as the infrastructure doc's script
// does, hangs on a failed save: a failure does not move it.
//
// A refused BGSAVE or INFO is a *RefusedError; a failed save a
// *BGSaveFailedError. Cancelling ctx stops the wait only: the result comes
// back with Cancelled and the save goes on.
func (c *Client) BGSave(ctx context.Context, o BGSaveOptions) (*BGSaveResult, error) {
	if c.cluster != nil {
		return nil, errBGSaveCluster
	}
	node := c.nodes[0]
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	before, err := readPersistence(ctx, node)
	if err != nil {
		return nil, err
	}
	requested := serverNow(ctx, node)
	start := time.Now()
	res := &BGSaveResult{ChangesBefore: before.ChangesSinceSave, PreviousFailed: !before.LastBGSaveOK, BeforeSave: before, ForkUsec: -1, KeysTotal: -1}

	started := true // a fork counted in before.Saves, or known to have happened
	savesAtStart := before.Saves
	switch {
	case before.BGSaveInProgress:
		res.Joined = true
	case before.AOFRewriteInProgress:
		if err := sendBGSave(ctx, node, true, res); err != nil {
			return nil, err
		}
	default:
		if err := sendBGSave(ctx, node, false, res); err != nil {
			return nil, err
		}
	}
	if res.Scheduled {
		started = false
	} else if !res.Joined && savesAtStart >= 0 {
		savesAtStart++ // ours forked already: the counter includes it
	}

	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		p, err := readPersistence(ctx, node)
		if err != nil {
			if ctx.Err() != nil {
				res.Cancelled = true
				return res, nil
			}
			return res, err
		}
		if !started && (p.BGSaveInProgress || (savesAtStart >= 0 && p.Saves > savesAtStart) || p.LastSaveTime > before.LastSaveTime) {
			started = true
		}
		if !started && !p.AOFRewriteInProgress && !p.AOFRewriteScheduled && savesAtStart < 0 && time.Since(start) > 10*o.Poll {
			// Without rdb_saves a quick scheduled save that failed leaves no
			// trace but the status: accept it once the rewrite is long over.
			started = true
		}
		if o.Progress != nil {
			pr := BGSaveProgress{Phase: PhaseSaving, KeysProcessed: p.KeysProcessed, KeysTotal: p.KeysTotal, Elapsed: time.Since(start)}
			if !started {
				pr.Phase = PhaseWaitingAOF
			}
			o.Progress(pr)
		}
		if p.BGSaveInProgress && p.KeysTotal > 0 {
			res.KeysTotal = p.KeysTotal // the counters reset when the save ends
		}
		if started && !p.BGSaveInProgress {
			res.Duration = time.Since(start)
			res.Done = p
			res.ServerSeconds = p.LastBGSaveSec
			res.COWBytes = p.LastCOWBytes
			res.LastSaveTime = time.Unix(p.LastSaveTime, 0)
			res.ForkUsec = latestForkUsec(context.WithoutCancel(ctx), node)
			if !p.LastBGSaveOK {
				return res, &BGSaveFailedError{Joined: res.Joined, Duration: res.Duration}
			}
			if p.LastSaveTime < requested {
				return res, fmt.Errorf("the save reported ok but rdb_last_save_time (%d) is before the request (%d): no new snapshot was written", p.LastSaveTime, requested)
			}
			return res, nil
		}
		select {
		case <-ctx.Done():
			res.Cancelled = true
			res.Duration = time.Since(start)
			return res, nil
		case <-tick.C:
		}
	}
}

// sendBGSave sends BGSAVE (or BGSAVE SCHEDULE) and reads the reply: a
// save already running is joined, a rewrite that started meanwhile is
// answered with SCHEDULE.
func sendBGSave(ctx context.Context, node *redis.Client, schedule bool, res *BGSaveResult) error {
	args := []any{"bgsave"}
	if schedule {
		args = append(args, "schedule")
	}
	reply, err := node.Do(ctx, args...).Text()
	switch {
	case err == nil:
		res.Scheduled = strings.Contains(reply, "scheduled")
		return nil
	case strings.Contains(err.Error(), "already in progress"):
		res.Joined = true
		return nil
	case !schedule && strings.Contains(err.Error(), "BGSAVE SCHEDULE"):
		return sendBGSave(ctx, node, true, res)
	}
	if re := AsRefused(err, "BGSAVE"); re != nil {
		return re
	}
	return fmt.Errorf("BGSAVE: %s", firstLine(err.Error()))
}

// serverNow is the server's clock in Unix seconds (TIME):
// rdb_last_save_time is on the server's clock. 0 when TIME is refused:
// this machine's clock may be off, so the check is left out.
func serverNow(ctx context.Context, node *redis.Client) int64 {
	if t, err := node.Time(ctx).Result(); err == nil {
		return t.Unix()
	}
	return 0
}

func latestForkUsec(ctx context.Context, node *redis.Client) int64 {
	m, err := node.InfoMap(ctx, "stats").Result()
	if err != nil {
		return -1
	}
	v, err := strconv.ParseInt(m["Stats"]["latest_fork_usec"], 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// CommandRefused says, without running it, whether the server would refuse
// command to this user: COMMAND INFO does not know it (renamed away) or
// ACL DRYRUN denies it (Redis 7+). Empty when it looks allowed or when
// neither probe can tell; the command's own reply is the final word.
func (c *Client) CommandRefused(ctx context.Context, command string) string {
	if c.cluster != nil {
		return ""
	}
	node := c.nodes[0]
	if v, err := node.Do(ctx, "command", "info", command).Slice(); err == nil && len(v) == 1 && v[0] == nil {
		return "renamed or blocked on this server (COMMAND INFO does not know " + strings.ToUpper(command) + ")"
	}
	if res, err := node.Do(ctx, "acl", "dryrun", c.user(), command).Text(); err == nil && res != "OK" {
		return "denied by ACL: " + firstLine(res)
	}
	return ""
}
