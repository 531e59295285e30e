package warmer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/redisops"
)

// RunOptions shape Run.
type RunOptions struct {
	Call CallOptions
	// Governor paces the key counts (nil: unpaced).
	Governor *redisops.Governor
	// UntilStable runs the warmer again while a round still adds keys, at
	// most MaxRounds rounds in all (default DefaultMaxRounds).
	UntilStable bool
	MaxRounds   int
	// Progress is told of every step (optional). It runs in Run's
	// goroutine.
	Progress func(Progress)
}

// NotCounted is NamespaceCount.After when the keys after a call could
// not be counted (the run was cancelled, or SCAN failed).
const NotCounted = -1

// DefaultMaxRounds bounds --until-stable.
const DefaultMaxRounds = 5

// Phases of a run.
const (
	PhaseBefore  = "counting before"
	PhaseCalling = "calling the warmer"
	PhaseAfter   = "counting after"
	PhaseDone    = "done"
)

// Progress is one step of a run.
type Progress struct {
	Round     int
	Phase     string
	Namespace int   // index into the warmer's namespaces while counting
	Keys      int64 // that namespace's keys so far
	Attempt   int   // while calling
	Retrying  error // why the previous attempt is retried
}

// NamespaceCount is one namespace of a round or of the whole run.
type NamespaceCount struct {
	Pattern string `json:"pattern"`
	Before  int64  `json:"before"`
	After   int64  `json:"after"`
	// Added is After - Before: negative when more keys expired or were
	// evicted meanwhile than the warmer wrote; 0 when After is NotCounted.
	Added int64 `json:"added"`
}

// Round is one call of the warmer between two counts.
type Round struct {
	Namespaces []NamespaceCount `json:"namespaces"`
	Status     int              `json:"status"`
	Attempts   int              `json:"attempts"`
	Answer     *Answer          `json:"answer,omitempty"` // nil: no JSON answer was read
	DurationMs int64            `json:"duration_ms"`
	Error      string           `json:"error,omitempty"` // why the call failed
}

// RoundSummary is a round's call on one line: "HTTP 200, success true,
// warmed 170, errors 0, 1 attempt, 35ms" or, failed, "failed (HTTP 500),
// 3 attempts, 2.1s".
func RoundSummary(r Round) string {
	attempts := fmt.Sprintf("%d attempts", r.Attempts)
	if r.Attempts == 1 {
		attempts = "1 attempt"
	}
	took := (time.Duration(r.DurationMs) * time.Millisecond).String()
	status := "no answer"
	if r.Status != 0 {
		status = fmt.Sprintf("HTTP %d", r.Status)
	}
	if r.Error != "" {
		return fmt.Sprintf("failed (%s), %s, %s", status, attempts, took)
	}
	s := status
	if r.Answer != nil {
		s += fmt.Sprintf(", success %t, warmed %d, errors %d", r.Answer.Success, r.Answer.Warmed, r.Answer.Errors)
	}
	return s + ", " + attempts + ", " + took
}

// Added is the round's keys added over its namespaces.
func (r Round) Added() int64 {
	var n int64
	for _, ns := range r.Namespaces {
		n += ns.Added
	}
	return n
}

// Report is a whole run: each round, and the namespaces from the first
// count to the last.
type Report struct {
	Warmer     string           `json:"warmer"`
	URL        string           `json:"url"` // without user info or query
	Rounds     []Round          `json:"rounds"`
	Namespaces []NamespaceCount `json:"namespaces"`
	Warmed     int64            `json:"warmed"` // the endpoint's own counts, summed over the rounds
	Errors     int64            `json:"errors"`
	// Stable is set when the last round added no key (with UntilStable,
	// false means it stopped at MaxRounds while keys were still coming).
	Stable   bool          `json:"stable"`
	Notes    []string      `json:"notes,omitempty"`
	Duration time.Duration `json:"-"`
}

// Added is the keys added over the whole run.
func (r *Report) Added() int64 {
	var n int64
	for _, ns := range r.Namespaces {
		n += ns.Added
	}
	return n
}

// Run counts the warmer's namespaces, calls it, counts again, and with
// UntilStable repeats while keys are still being added. The report holds
// every finished step, also when an error (a failed call, a refused SCAN,
// cancellation) ends the run early. The token is never in the report or
// the error.
func Run(ctx context.Context, c *redisops.Client, w config.Warmer, token string, o RunOptions) (*Report, error) {
	start := time.Now()
	w, err := w.WithDefaults()
	if err != nil {
		return nil, err
	}
	rep := &Report{Warmer: w.Name, URL: ShownURL(w.URL)}
	defer func() { rep.Duration = time.Since(start) }()
	rounds := 1
	if o.UntilStable {
		rounds = o.MaxRounds
		if rounds <= 0 {
			rounds = DefaultMaxRounds
		}
	}
	progress := func(p Progress) {
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	count := func(round int, phase string) ([]int64, error) {
		counts, err := c.CountKeys(ctx, w.Namespaces, o.Governor, func(cp redisops.CountProgress) {
			progress(Progress{Round: round, Phase: phase, Namespace: cp.Pattern, Keys: cp.Keys})
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", phase, err)
		}
		return counts, nil
	}

	before, err := count(1, PhaseBefore)
	if err != nil {
		return rep, err
	}
	first := before
	for round := 1; round <= rounds; round++ {
		callOpts := o.Call
		userHook := callOpts.OnAttempt
		callOpts.OnAttempt = func(attempt int, why error) {
			progress(Progress{Round: round, Phase: PhaseCalling, Attempt: attempt, Retrying: why})
			if userHook != nil {
				userHook(attempt, why)
			}
		}
		res, callErr := Call(ctx, w, token, callOpts)
		r := Round{Status: res.Status, Attempts: res.Attempts, Answer: res.Answer, DurationMs: res.Duration.Milliseconds()}
		if callErr != nil {
			r.Error = callErr.Error()
		}
		if res.Answer != nil {
			rep.Warmed += res.Answer.Warmed
			rep.Errors += res.Answer.Errors
		}
		// Count after a failed call too: a 500 may come after half the
		// work, and the operator should see what is there now.
		after, countErr := count(round, PhaseAfter)
		if countErr != nil {
			// Not counted (cancelled, or SCAN refused): After is -1 and
			// Added 0, and a note says so, rather than a made-up +0.
			after = make([]int64, len(before))
			for i := range after {
				after[i] = NotCounted
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("the keys after round %d were not counted (%v): what the app added is unknown", round, countErr))
		}
		added := func(b, a int64) int64 {
			if a == NotCounted {
				return 0
			}
			return a - b
		}
		for i, pat := range w.Namespaces {
			r.Namespaces = append(r.Namespaces, NamespaceCount{Pattern: pat, Before: before[i], After: after[i], Added: added(before[i], after[i])})
		}
		rep.Rounds = append(rep.Rounds, r)
		rep.Namespaces = rep.Namespaces[:0]
		for i, pat := range w.Namespaces {
			rep.Namespaces = append(rep.Namespaces, NamespaceCount{Pattern: pat, Before: first[i], After: after[i], Added: added(first[i], after[i])})
		}
		if callErr != nil || countErr != nil {
			rep.notes()
			return rep, errors.Join(callErr, countErr)
		}
		if r.Added() <= 0 {
			rep.Stable = true
			break
		}
		before = after
	}
	rep.notes()
	progress(Progress{Round: len(rep.Rounds), Phase: PhaseDone})
	return rep, nil
}

// notes say what the counts alone would hide.
func (r *Report) notes() {
	if len(r.Rounds) == 0 {
		return
	}
	last := r.Rounds[len(r.Rounds)-1]
	counted := len(last.Namespaces) > 0 && last.Namespaces[0].After != NotCounted
	if counted && last.Answer != nil && last.Answer.Warmed > 0 && last.Added() <= 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the app says it warmed %d keys but none appeared in these namespaces: is it writing to another database, prefix or server?", last.Answer.Warmed))
	}
	if r.Errors > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the app reported %d errors while warming: see its logs", r.Errors))
	}
}
