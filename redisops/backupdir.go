package redisops

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coldcopy/cachedeck/rdb"
)

// Backup kinds.
const (
	KindRDB     = "rdb"     // an RDB snapshot downloaded over the replication protocol
	KindLogical = "logical" // DUMP + PTTL of every key, NDJSON (the invalidation backup format)
)

// File name suffixes of the backup directory.
const (
	rdbExt       = ".rdb"
	logicalExt   = ".ndjson"
	manifestExt  = ".meta.json"
	partialExt   = ".partial"
	stateExt     = ".partial.state"
	nameTimeForm = "20060102T150405Z"
)

// BackupManifest is written next to every backup cachedeck makes
// (FILE.meta.json): what it holds and where it came from. It never holds a
// password or a value.
type BackupManifest struct {
	Kind       string    `json:"kind"`
	Server     string    `json:"server"`
	Product    string    `json:"product,omitempty"`
	Version    string    `json:"version,omitempty"`
	Profile    string    `json:"profile,omitempty"`
	Patterns   []string  `json:"patterns,omitempty"` // logical backups of chosen patterns; empty: every key
	Keys       int64     `json:"keys"`
	Bytes      int64     `json:"bytes"`
	SHA256     string    `json:"sha256,omitempty"` // of the whole file (logical backups)
	Created    time.Time `json:"created"`          // when the backup finished, UTC
	DurationMs int64     `json:"duration_ms"`
	Resumed    bool      `json:"resumed,omitempty"`
	Diskless   bool      `json:"diskless,omitempty"`
}

// ManifestPath is where the manifest of the backup at path lives.
func ManifestPath(path string) string { return path + manifestExt }

// WriteManifest writes m next to path (0600), through a temp file renamed
// into place.
func WriteManifest(path string, m BackupManifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(ManifestPath(path), append(data, '\n'))
}

// ReadManifest reads the manifest of the backup at path; ok is false when
// there is none.
func ReadManifest(path string) (m BackupManifest, ok bool, err error) {
	data, err := os.ReadFile(ManifestPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if len(data) > 1<<20 {
		return m, false, fmt.Errorf("%s: manifest larger than 1 MiB", ManifestPath(path))
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, false, fmt.Errorf("%s: not a backup manifest: %v", ManifestPath(path), err)
	}
	return m, true, nil
}

// writeFileAtomic writes data to path (0600) via a temp file in the same
// directory, fsynced, then renamed.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// DefaultBackupDir is $XDG_STATE_HOME/cachedeck/backups/<profile>/ (else
// ~/.local/state/...); "default" stands for no profile. Empty when neither
// is known.
func DefaultBackupDir(profile string) string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	if profile == "" {
		profile = "default"
	}
	return filepath.Join(dir, "cachedeck", "backups", safeName(profile))
}

// EnsureBackupDir creates dir (0700): backups hold cached values.
func EnsureBackupDir(dir string) error {
	if dir == "" {
		return errors.New("backup directory: no path (set XDG_STATE_HOME or HOME, or give --dir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup directory: %w (give a writable --dir)", err)
	}
	return nil
}

// safeName keeps letters, digits, '.', '-' and '_' of s, bounded: a file
// name that says where the backup came from and nothing else.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "server"
	}
	return out
}

// NewBackupPath picks a free name in dir for a backup of server made at
// now: <server>-<UTC time>.rdb or .ndjson, then -2, -3 … within the same
// second. Nothing is created; the writers create the file exclusively.
func NewBackupPath(dir, server, kind string, now time.Time) (string, error) {
	ext := logicalExt
	if kind == KindRDB {
		ext = rdbExt
	}
	base := safeName(server) + "-" + now.UTC().Format(nameTimeForm)
	for n := 1; n <= 1000; n++ {
		name := base + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		path := filepath.Join(dir, name)
		if !exists(path) && !exists(path+partialExt) {
			return path, nil
		}
	}
	return "", fmt.Errorf("backup: 1000 backups named %s* already exist in %s", base, dir)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// BackupEntry is one backup of a directory.
type BackupEntry struct {
	Path    string    `json:"path"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"` // rdb or logical
	Bytes   int64     `json:"bytes"`
	Keys    int64     `json:"keys"` // -1 unknown
	Created time.Time `json:"created"`
	Server  string    `json:"server,omitempty"`
	Profile string    `json:"profile,omitempty"`
	// Partial: an unfinished logical backup, resumed by the next one of
	// the same server and patterns.
	Partial     bool   `json:"partial,omitempty"`
	Managed     bool   `json:"managed"` // has a manifest: made by cachedeck, subject to retention
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"`
	Checked     bool   `json:"checked"` // verification ran
	// Modified is the file's mtime: with Bytes, it tells a caller that
	// caches verification whether the file changed since.
	Modified time.Time `json:"-"`
}

// Age of the backup at now.
func (e BackupEntry) Age(now time.Time) time.Duration { return now.Sub(e.Created) }

// Status is the verification in one word or phrase.
func (e BackupEntry) Status() string {
	switch {
	case e.Partial:
		return "partial (resumable)"
	case !e.Checked:
		return "not checked"
	case e.Verified:
		return "ok"
	}
	return "FAILED: " + e.VerifyError
}

// ListBackups lists the backups in dir (.rdb and .ndjson files and
// unfinished logical backups), newest first. With verify, every finished
// backup is read whole: an RDB through rdb.VerifyFile, a logical backup
// record by record (see VerifyLogical). A missing dir is an empty list.
func ListBackups(dir string, verify bool) ([]BackupEntry, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup directory: %w", err)
	}
	var out []BackupEntry
	for _, de := range ents {
		name := de.Name()
		if !de.Type().IsRegular() || strings.HasPrefix(name, ".") {
			continue
		}
		var e BackupEntry
		switch {
		case strings.HasSuffix(name, rdbExt):
			e.Kind = KindRDB
		case strings.HasSuffix(name, logicalExt):
			e.Kind = KindLogical
		case strings.HasSuffix(name, logicalExt+partialExt):
			e.Kind, e.Partial = KindLogical, true
		default:
			continue
		}
		e.Path, e.Name, e.Keys = filepath.Join(dir, name), name, -1
		info, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		e.Bytes, e.Created, e.Modified = info.Size(), info.ModTime().UTC(), info.ModTime()
		if t, ok := nameTime(name); ok {
			e.Created = t
		}
		if e.Partial {
			if st, err := readLogicalState(strings.TrimSuffix(e.Path, partialExt)); err == nil {
				e.Keys, e.Server = st.Keys, st.Server
			}
			out = append(out, e)
			continue
		}
		m, ok, err := ReadManifest(e.Path)
		if err == nil && ok {
			e.Managed = true
			e.Keys, e.Server, e.Profile, e.Created = m.Keys, m.Server, m.Profile, m.Created.UTC()
		}
		if verify {
			e = VerifyEntry(e)
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b BackupEntry) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// VerifyEntry reads the backup whole and records whether it is sound.
func VerifyEntry(e BackupEntry) BackupEntry {
	if e.Partial {
		return e
	}
	e.Checked = true
	var err error
	switch e.Kind {
	case KindRDB:
		var info rdb.Info
		info, err = rdb.VerifyFile(e.Path)
		if err == nil {
			e.Keys = info.Keys
		}
	default:
		var v LogicalVerification
		v, err = VerifyLogical(e.Path)
		if err == nil {
			e.Keys = v.Records
		}
	}
	e.Verified = err == nil
	if err != nil {
		e.VerifyError = firstLine(err.Error())
	}
	return e
}

// nameTime reads the UTC time out of a backup name (<server>-<time>[-n].ext).
func nameTime(name string) (time.Time, bool) {
	for i := 0; i+len(nameTimeForm) <= len(name); i++ {
		if name[i] != '-' || i+1+len(nameTimeForm) > len(name) {
			continue
		}
		if t, err := time.Parse(nameTimeForm, name[i+1:i+1+len(nameTimeForm)]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Retention says which backups to keep.
type Retention struct {
	KeepDays int    // remove backups older than this many days; 0: no age limit
	Keep     int    // keep at most this many verified backups; 0: no count limit
	Profile  string // only backups whose manifest names this profile are touched
}

// DefaultKeepDays is the infrastructure doc's policy.
const DefaultKeepDays = 7

// PrunePlan is what a prune removes and what it keeps against the policy.
type PrunePlan struct {
	Remove []BackupEntry `json:"removed"`
	// KeptFailed failed verification: never removed by a prune, kept for
	// the operator to inspect (and delete by hand).
	KeptFailed []BackupEntry `json:"kept_failed,omitempty"`
	Kept       int           `json:"kept"`
}

// PlanPrune applies r to entries (verified, as ListBackups(dir, true)
// gives them) at now. Only finished backups cachedeck made for r.Profile
// are candidates. The newest verified backup is never removed, nor one
// that failed verification.
func PlanPrune(entries []BackupEntry, r Retention, now time.Time) PrunePlan {
	var plan PrunePlan
	var good []BackupEntry
	for _, e := range entries {
		if e.Partial || !e.Managed || e.Profile != r.Profile {
			continue
		}
		if !e.Verified {
			plan.KeptFailed = append(plan.KeptFailed, e)
			continue
		}
		good = append(good, e)
	}
	slices.SortStableFunc(good, func(a, b BackupEntry) int { return b.Created.Compare(a.Created) })
	for i, e := range good {
		tooOld := r.KeepDays > 0 && e.Age(now) > time.Duration(r.KeepDays)*24*time.Hour
		tooMany := r.Keep > 0 && i >= r.Keep
		if i > 0 && (tooOld || tooMany) {
			plan.Remove = append(plan.Remove, e)
		} else {
			plan.Kept++
		}
	}
	return plan
}

// Prune verifies the backups of dir, plans with r and, unless dryRun,
// removes what the plan says (each file and its manifest). It returns the
// plan; files it could not remove are an error naming them.
func Prune(dir string, r Retention, now time.Time, dryRun bool) (PrunePlan, error) {
	entries, err := ListBackups(dir, true)
	if err != nil {
		return PrunePlan{}, err
	}
	plan := PlanPrune(entries, r, now)
	if dryRun {
		return plan, nil
	}
	var failed []string
	removed := plan.Remove[:0]
	for _, e := range plan.Remove {
		if err := os.Remove(e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, e.Name+": "+err.Error())
			continue
		}
		_ = os.Remove(ManifestPath(e.Path))
		removed = append(removed, e)
	}
	plan.Remove = removed
	if len(failed) > 0 {
		return plan, fmt.Errorf("prune: could not remove %s", strings.Join(failed, "; "))
	}
	return plan, nil
}
