package catalog

import (
	"archive/zip"
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/lake/laketest"
)

func TestMain(m *testing.M) { laketest.Main(m) }

func TestLakeJobsZipIsReproducibleAndLean(t *testing.T) {
	a, err := lakeJobsZip()
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(a)
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	b, err := lakeJobsZip()
	if err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(b)
	if !bytes.Equal(first, second) {
		t.Fatal("two packings of glue/lake_jobs differ")
	}
	z, err := zip.NewReader(bytes.NewReader(second), int64(len(second)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
		if !strings.HasPrefix(f.Name, "lake_jobs/") || !strings.HasSuffix(f.Name, ".py") {
			t.Errorf("unexpected entry %s", f.Name)
		}
	}
	if !slices.Contains(names, "lake_jobs/__init__.py") || !slices.Contains(names, "lake_jobs/curate.py") {
		t.Errorf("entries %v", names)
	}
}
