package catalog

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/lambdabuild"
)

// moduleRoot is the repository root, wherever synth runs from (the CLI runs
// the app from the root, tests from cdk/).
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return lambdabuild.ModuleRoot(wd)
}

// lakeJobsZip packs glue/lake_jobs into .build/glue/lake_jobs.zip for the
// jobs' --extra-py-files. Written by hand rather than by CDK's asset bundling
// because that needs Docker or a shell: files are sorted, timestamps fixed
// and caches and tests left out, so the same source gives the same bytes and
// the asset hash (and `cdk diff`) only changes when the code does.
func lakeJobsZip() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	src := filepath.Join(root, "glue", "lake_jobs")
	var files []string
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "__pycache__" || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".py") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("packing glue/lake_jobs: %w", err)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("packing glue/lake_jobs: no .py files under %s", src)
	}
	sort.Strings(files)
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fixed := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range files {
		rel, err := filepath.Rel(filepath.Dir(src), f)
		if err != nil {
			return "", err
		}
		body, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		h := &zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate, Modified: fixed}
		h.SetMode(0o644)
		fw, err := w.CreateHeader(h)
		if err != nil {
			return "", err
		}
		if _, err := fw.Write(body); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	out := filepath.Join(root, ".build", "glue", "lake_jobs.zip")
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, buf.Bytes()) {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	// Several syntheses may run at once (tests): each writes its own temporary file.
	tmp, err := os.CreateTemp(filepath.Dir(out), "lake_jobs-*.zip")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	return out, os.Rename(tmp.Name(), out)
}
