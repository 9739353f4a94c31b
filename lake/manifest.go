package lake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ManifestFile is the name of the manifest at the lake's root. It is the only
// thing a reader trusts: files it does not list are not part of the lake.
const ManifestFile = "manifest.json"

// ErrNoLake is returned when a directory holds no manifest.
var ErrNoLake = errors.New("no lake here (no manifest.json): run 'handoff ingest --lake DIR FILE...' first")

// Manifest describes one committed state of the lake.
type Manifest struct {
	SchemaVersion int `json:"schema_version"`
	// Generation increases by one with every commit, even one that changed
	// no data (the run is still recorded).
	Generation int64 `json:"generation"`
	// Root is the version directory holding the current files, relative to
	// the lake. It changes only when data changes.
	Root      string                `json:"root"`
	UpdatedAt time.Time             `json:"updated_at"`
	Tables    map[string]TableFiles `json:"tables"`
	// Kept holds the per-lead tables built at commit (lake.Kept), of the
	// definitions numbered KeptVersion. A lake written before they existed
	// has none.
	Kept        map[string]TableFiles `json:"kept,omitempty"`
	KeptVersion int                   `json:"kept_version,omitempty"`
	Runs        []Run                 `json:"runs"`
}

// TableFiles lists a table's files and its row count.
type TableFiles struct {
	Rows  int64  `json:"rows"`
	Files []File `json:"files"`
}

// File is one Parquet file of a table.
type File struct {
	// Path is relative to the version root, in Hive layout
	// (leads/month=2026-05/part-<hash>.parquet).
	Path      string `json:"path"`
	Partition string `json:"partition,omitempty"`
	Rows      int64  `json:"rows"`
	SHA256    string `json:"sha256"`
	Bytes     int64  `json:"bytes"`
	// Run is the ingest run that wrote this content first; an unchanged
	// partition keeps its original run across later ingests.
	Run string `json:"run"`
}

// Run records one ingest run.
type Run struct {
	ID         string     `json:"id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	Inputs     []RunInput `json:"inputs"`
	// Changed lists the tables whose content this run changed.
	Changed []string `json:"changed"`
}

// RunInput is one input file of a run and what became of its rows.
type RunInput struct {
	Path string `json:"path"`
	// SHA256 is the input file's hash: the same file again is known.
	SHA256      string `json:"sha256,omitempty"`
	Source      string `json:"source"`
	Kind        string `json:"kind"`
	Rows        int64  `json:"rows"`
	Accepted    int64  `json:"accepted"`
	Quarantined int64  `json:"quarantined"`
	// Skipped counts good rows that carry nothing for the lake (a history
	// row of a field handoff does not track, a call with no contact).
	Skipped int64          `json:"skipped,omitempty"`
	Tables  map[string]int `json:"tables,omitempty"`
	// Quarantine is the quarantine file, relative to the lake, when rows were refused.
	Quarantine string `json:"quarantine,omitempty"`
	// Warnings counts optional values that could not be read: the row was
	// kept with the field blank. WarningsFile lists them, relative to the lake.
	Warnings     int64  `json:"warnings,omitempty"`
	WarningsFile string `json:"warnings_file,omitempty"`
	// Unrecognised says why a file was skipped whole (its header fits no
	// layout, or a layout handoff does not need); its rows were not read.
	Unrecognised string `json:"unrecognised,omitempty"`
	// How the file was read: encoding (and why, when it was not UTF-8),
	// delimiter and the order of day and month in slash dates.
	Encoding     string `json:"encoding,omitempty"`
	EncodingNote string `json:"encoding_note,omitempty"`
	Delimiter    string `json:"delimiter,omitempty"`
	DateOrder    string `json:"date_order,omitempty"`
}

// ReadManifest reads the lake's manifest; ErrNoLake when there is none.
func ReadManifest(dir string) (Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("%s: %w", dir, ErrNoLake)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.SchemaVersion > SchemaVersion {
		return Manifest{}, fmt.Errorf("lake %s has schema version %d; this handoff reads up to %d: upgrade handoff", dir, m.SchemaVersion, SchemaVersion)
	}
	return m, nil
}

// emptyManifest is the state of a lake before its first commit.
func emptyManifest() Manifest {
	return Manifest{SchemaVersion: SchemaVersion, Tables: map[string]TableFiles{}}
}

// writeManifest replaces the manifest atomically: a reader sees the old one
// or the new one, never a mix, and a crash leaves one of them.
func writeManifest(dir string, m Manifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, ManifestFile), append(raw, '\n'))
}

// WriteAtomic writes a file beside path, syncs it, renames it into place
// and syncs the directory: a reader, or a crash at any point, sees the old
// file or the whole new one, never a part. fill writes the content.
func WriteAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := fill(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// writeFileAtomic is WriteAtomic of bytes.
func writeFileAtomic(path string, data []byte) error {
	return WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// HashFile returns the hex SHA-256 and size of a file.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Verify checks that every file the manifest lists exists with its recorded
// hash. Tests use it after a crash; `handoff` may expose it later as fsck.
func Verify(dir string) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	for _, group := range []map[string]TableFiles{m.Tables, m.Kept} {
		for name, tf := range group {
			for _, f := range tf.Files {
				path := filepath.Join(dir, m.Root, f.Path)
				sum, _, err := HashFile(path)
				if err != nil {
					return fmt.Errorf("table %s: %w", name, err)
				}
				if sum != f.SHA256 {
					return fmt.Errorf("table %s: %s has hash %s, manifest says %s", name, path, sum, f.SHA256)
				}
			}
		}
	}
	return nil
}
