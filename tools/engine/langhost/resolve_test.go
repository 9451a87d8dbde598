package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveInNodeModules(t *testing.T) {
	root := t.TempDir()
	pkg := filepath.Join(root, "app", "node_modules", "@pulumi", "pulumi")
	write(t, filepath.Join(pkg, "package.json"), `{"name": "@pulumi/pulumi"}`)
	write(t, filepath.Join(pkg, "cmd", "run", "index.js"), "")
	write(t, filepath.Join(pkg, "cmd", "run-plugin.js"), "")
	write(t, filepath.Join(pkg, "cmd", "with-main", "package.json"), `{"main": "lib/start"}`)
	write(t, filepath.Join(pkg, "cmd", "with-main", "lib", "start.js"), "")
	// a package with an exports map: left to node
	write(t, filepath.Join(root, "app", "node_modules", "modern", "package.json"), `{"exports": {"./x": "./y.js"}}`)
	write(t, filepath.Join(root, "app", "node_modules", "modern", "x.js"), "")
	if err := os.MkdirAll(filepath.Join(root, "app", "src", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	// a symbolic link to the project: the answer is the real path, as node gives it
	if err := os.Symlink(filepath.Join(root, "app"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(pkg)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir, module, want string
	}{
		{"a folder's index.js", "app", "@pulumi/pulumi/cmd/run", filepath.Join(real, "cmd", "run", "index.js")},
		{"a file with .js added", "app", "@pulumi/pulumi/cmd/run-plugin", filepath.Join(real, "cmd", "run-plugin.js")},
		{"a folder's package.json main", "app", "@pulumi/pulumi/cmd/with-main", filepath.Join(real, "cmd", "with-main", "lib", "start.js")},
		{"from a subfolder, walking up", "app/src/deep", "@pulumi/pulumi/cmd/run", filepath.Join(real, "cmd", "run", "index.js")},
		{"through a symbolic link", "link/src", "@pulumi/pulumi/cmd/run", filepath.Join(real, "cmd", "run", "index.js")},
		{"no such script in the package", "app", "@pulumi/pulumi/cmd/nothing", ""},
		{"no such package", "app", "@other/pkg/cmd/run", ""},
		{"a package with exports", "app", "modern/x", ""},
		{"no subpath", "app", "@pulumi/pulumi", ""},
		{"a relative path", "app", "./x", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := resolveInNodeModules(filepath.Join(root, filepath.FromSlash(c.dir)), c.module)
			if c.want == "" {
				if err == nil {
					t.Fatalf("got %s, want no answer (node resolves it)", got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// TestResolveLikeNode compares with node's own answer for the scripts the host runs, from the
// project's folder (tools/engine/langhost is three levels below it), when node and the project's
// node_modules are there.
func TestResolveLikeNode(t *testing.T) {
	project, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(project, "node_modules", "@pulumi", "pulumi")); err != nil {
		t.Skip("no node_modules/@pulumi/pulumi in the project (npm ci)")
	}
	for _, module := range []string{"@pulumi/pulumi/cmd/run", "@pulumi/pulumi/cmd/run-plugin", "@pulumi/pulumi/cmd/run-policy-pack"} {
		for _, dir := range []string{project, filepath.Join(project, "policy"), filepath.Join(project, "tools")} {
			cmd := exec.Command("node", "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
			cmd.Dir = dir
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("node: %v", err)
			}
			got, err := resolveInNodeModules(dir, module)
			if err != nil || got != string(want) {
				t.Errorf("%s from %s: got %q, %v; node says %q", module, dir, got, err, want)
			}
		}
	}
}
