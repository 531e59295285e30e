// Package audit keeps the append-only record of what operators changed on a
// server: one JSON object per line (JSON Lines), written and fsynced before
// Append returns. It records who, where from, which server, what action on
// which keys or patterns, how many, how long and how it ended; never a
// value, a password or any other secret.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Outcomes of an Entry.
const (
	Attempted = "attempted" // written before a long mutation starts
	Done      = "done"
	Failed    = "failed"
	Cancelled = "cancelled"
	// Accepted: an API took a request it carries out later (a DigitalOcean
	// resize); done or failed follows when the wait sees the end.
	Accepted = "accepted"
)

// Entry is one line of the audit log.
type Entry struct {
	Time      time.Time `json:"time"`
	Operator  string    `json:"operator"`
	SSHOrigin string    `json:"ssh_origin,omitempty"`
	Profile   string    `json:"profile,omitempty"`
	Server    string    `json:"server"`
	Action    string    `json:"action"`
	Patterns  []string  `json:"patterns,omitempty"`
	Key       string    `json:"key,omitempty"` // display form (decode.DisplayKey)
	Target    string    `json:"target,omitempty"`
	Matched   int64     `json:"matched,omitempty"`
	Deleted   int64     `json:"deleted,omitempty"`
	Restored  int64     `json:"restored,omitempty"`
	// Added: keys a warm-up added to its namespaces (after - before);
	// Updated: keys a TTL spread gave a new TTL.
	Added   int64 `json:"added,omitempty"`
	Updated int64 `json:"updated,omitempty"`
	Bytes   int64 `json:"bytes,omitempty"` // size of what was written (a backup file)
	// Unconfirmed of Deleted or Restored: their batch's reply was lost.
	Unconfirmed int64  `json:"unconfirmed,omitempty"`
	DurationMs  int64  `json:"duration_ms"`
	Outcome     string `json:"outcome"` // attempted, accepted, done, failed, cancelled
	Error       string `json:"error,omitempty"`
}

// Log is an open audit log. Its methods are safe for concurrent use.
type Log struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// maxError bounds Entry.Error: a reason, not a dump.
const maxError = 500

// syncFile makes a write durable; tests replace it to watch the fsync.
var syncFile = (*os.File).Sync

// DefaultPath is $XDG_STATE_HOME/cachedeck/audit.jsonl, else
// ~/.local/state/cachedeck/audit.jsonl; empty when neither is known.
func DefaultPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) { // the XDG spec says to ignore a relative path
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "cachedeck", "audit.jsonl")
}

// Open opens path for appending, creating its directory (0700) and the file
// (0600). An existing file readable by others is narrowed to 0600: it names
// keys and servers.
func Open(path string) (*Log, error) {
	if path == "" {
		return nil, errors.New("audit log: no path (set XDG_STATE_HOME or HOME)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		_ = f.Chmod(0o600)
	}
	return &Log{f: f, path: path}, nil
}

// Path is the file the log writes to.
func (l *Log) Path() string { return l.path }

// Append writes e as one JSON line and fsyncs it. It fills Time (now, UTC),
// Operator ($USER, else the account name) and SSHOrigin (the client address
// of $SSH_CONNECTION) when they are empty. Outcome must be one of attempted,
// accepted, done, failed, cancelled, and Action and Server must be set.
func (l *Log) Append(e Entry) error {
	switch e.Outcome {
	case Attempted, Accepted, Done, Failed, Cancelled:
	default:
		return fmt.Errorf("audit log: outcome %q is not attempted, accepted, done, failed or cancelled", e.Outcome)
	}
	if e.Action == "" || e.Server == "" {
		return errors.New("audit log: an entry needs an action and a server")
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	if e.Operator == "" {
		e.Operator = operator()
	}
	if e.SSHOrigin == "" {
		e.SSHOrigin = sshOrigin()
	}
	e.Error = oneLine(e.Error, maxError)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil { // Encode ends the line with \n
		return fmt.Errorf("audit log: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("audit log: closed")
	}
	// One write per line: with O_APPEND, lines from other processes land
	// whole before or after it.
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("audit log: write %s: %w", l.path, err)
	}
	if err := syncFile(l.f); err != nil {
		return fmt.Errorf("audit log: fsync %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file. Appending afterwards fails.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// ReadTail returns the last n entries of the log at path, oldest first. A
// missing file is an empty log. Lines that are not valid entries (a torn
// write after a crash) are skipped.
func ReadTail(path string, n int) ([]Entry, error) {
	if n <= 0 {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	lines, err := tailLines(f, n)
	if err != nil {
		return nil, fmt.Errorf("audit log: read %s: %w", path, err)
	}
	out := make([]Entry, 0, len(lines))
	for _, line := range lines {
		var e Entry
		if json.Unmarshal(line, &e) == nil && e.Action != "" {
			out = append(out, e)
		}
	}
	return out, nil
}

// tailLines reads backwards from the end in blocks until it holds more than
// n complete lines (or the whole file), so a long log is not read whole.
func tailLines(f *os.File, n int) ([][]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	const block = 64 << 10
	size := st.Size()
	var data []byte
	off := size
	for off > 0 && bytes.Count(data, []byte{'\n'}) <= n {
		step := min(int64(block), off)
		off -= step
		chunk := make([]byte, step)
		if _, err := f.ReadAt(chunk, off); err != nil && err != io.EOF {
			return nil, err
		}
		data = append(chunk, data...)
	}
	if off > 0 {
		// The first line may be partial: drop it.
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

func operator() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("LOGNAME"); u != "" {
		return u
	}
	return "unknown"
}

// sshOrigin is the client address of $SSH_CONNECTION ("client_ip
// client_port server_ip server_port").
func sshOrigin() string {
	fields := strings.Fields(os.Getenv("SSH_CONNECTION"))
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

func oneLine(s string, limit int) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}
