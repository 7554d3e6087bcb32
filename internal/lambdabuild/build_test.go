package lambdabuild

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Two builds of the same source are byte-identical, for both architectures,
// and produce a static Linux executable of the requested machine type.
func TestBuildIsReproducible(t *testing.T) {
	root := moduleRoot(t)
	for arch, machine := range map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64} {
		t.Run(arch, func(t *testing.T) {
			a, err := Build(context.Background(), root, "./internal/lambdabuild/testdata/hello", arch, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			b, err := Build(context.Background(), root, "./internal/lambdabuild/testdata/hello", arch, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			ab, _ := os.ReadFile(a)
			bb, _ := os.ReadFile(b)
			if len(ab) == 0 || !bytes.Equal(ab, bb) {
				t.Fatalf("builds differ: %d vs %d bytes", len(ab), len(bb))
			}
			f, err := elf.Open(a)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != machine {
				t.Errorf("machine %v, want %v", f.Machine, machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Error("dynamically linked: provided.al2023 needs a static bootstrap")
				}
			}
			if f.Section(".symtab") != nil {
				t.Error("symbol table present: -s was not applied")
			}
			if bytes.Contains(ab, []byte(root)) {
				t.Error("binary contains the module path on this machine: -trimpath was not applied")
			}
		})
	}
}

// The source changing changes the output (so the asset hash follows the code).
func TestDifferentSourceDifferentBytes(t *testing.T) {
	root := moduleRoot(t)
	src := t.TempDir()
	// A throwaway main package inside the module, removed after the test.
	pkgDir := filepath.Join(root, "internal", "lambdabuild", "testdata", "variant-"+filepath.Base(src))
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pkgDir) })
	write := func(msg string) []byte {
		code := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + msg + "\") }\n"
		if err := os.WriteFile(filepath.Join(pkgDir, "main.go"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := Build(context.Background(), root, "./internal/lambdabuild/testdata/"+filepath.Base(pkgDir), "arm64", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		return b
	}
	if bytes.Equal(write("one"), write("two")) {
		t.Error("different source built to the same bytes")
	}
}

func TestBuildErrorNamesThePackage(t *testing.T) {
	_, err := Build(context.Background(), moduleRoot(t), "./internal/lambdabuild/testdata/broken", "arm64", t.TempDir())
	if err == nil {
		t.Fatal("broken package built")
	}
	for _, want := range []string{"./internal/lambdabuild/testdata/broken", "linux/arm64", "undefinedCall"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestBuildRejectsUnknownArch(t *testing.T) {
	_, err := Build(context.Background(), moduleRoot(t), "./internal/lambdabuild/testdata/hello", "riscv64", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "riscv64") {
		t.Fatalf("got %v", err)
	}
}
