package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// resolveModule finds a script of @pulumi/pulumi (such as "@pulumi/pulumi/cmd/run") the way
// Node's require.resolve would from dir. It resolves in Go (resolveInNodeModules), which saves
// the start of a second `node` on every run; only when that cannot answer (no such package on the
// node_modules path, or a package.json with an "exports" map, which this does not read) does it
// ask node itself.
func resolveModule(ctx context.Context, dir, module string) (string, error) {
	if p, err := resolveInNodeModules(dir, module); err == nil {
		return p, nil
	}
	cmd := exec.CommandContext(ctx, "node", "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find %s from %s: run `npm ci` there first (%w)", module, dir, err)
	}
	return string(out), nil
}

// errNotResolved says resolveInNodeModules cannot answer; node's own resolution may.
var errNotResolved = errors.New("not resolved without node")

// resolveInNodeModules implements Node's CommonJS resolution of a bare specifier with a subpath
// ("@scope/name/sub/path" or "name/sub/path") for a package without an "exports" map: the
// node_modules folders from dir upwards (skipping folders that are themselves node_modules),
// in the first one holding the package the subpath as a file (as is, .js, .json, .node) or as a
// folder (its package.json "main", else index.js, index.json, index.node). Like Node, it
// answers with the real path (symbolic links resolved).
func resolveInNodeModules(dir, module string) (string, error) {
	pkg, sub := splitSpecifier(module)
	if pkg == "" {
		return "", errNotResolved
	}
	start, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", errNotResolved
	}
	start, err = filepath.Abs(start)
	if err != nil {
		return "", errNotResolved
	}
	for d := start; ; d = filepath.Dir(d) {
		if filepath.Base(d) != "node_modules" {
			root := filepath.Join(d, "node_modules", filepath.FromSlash(pkg))
			if manifest, err := os.ReadFile(filepath.Join(root, "package.json")); err == nil {
				var fields map[string]json.RawMessage
				if json.Unmarshal(manifest, &fields) != nil {
					return "", errNotResolved
				}
				if _, ok := fields["exports"]; ok {
					return "", errNotResolved
				}
				if p, ok := loadAsFileOrDirectory(filepath.Join(root, filepath.FromSlash(sub))); ok {
					return filepath.EvalSymlinks(p)
				}
				// Node does not look further up once the package's folder is found
				return "", errNotResolved
			}
		}
		if filepath.Dir(d) == d {
			return "", errNotResolved
		}
	}
}

// splitSpecifier splits "@scope/name/sub" into "@scope/name" and "sub", "name/sub" into "name"
// and "sub"; anything else (relative, absolute, no subpath) gives "".
func splitSpecifier(module string) (pkg, sub string) {
	if module == "" || strings.HasPrefix(module, ".") || strings.HasPrefix(module, "/") {
		return "", ""
	}
	parts := strings.Split(module, "/")
	n := 1
	if strings.HasPrefix(module, "@") {
		n = 2
	}
	if len(parts) <= n {
		return "", ""
	}
	return strings.Join(parts[:n], "/"), strings.Join(parts[n:], "/")
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// loadAsFileOrDirectory is LOAD_AS_FILE then LOAD_AS_DIRECTORY of Node's resolution algorithm.
func loadAsFileOrDirectory(x string) (string, bool) {
	for _, ext := range []string{"", ".js", ".json", ".node"} {
		if isFile(x + ext) {
			return x + ext, true
		}
	}
	if manifest, err := os.ReadFile(filepath.Join(x, "package.json")); err == nil {
		var fields struct {
			Main string `json:"main"`
		}
		if json.Unmarshal(manifest, &fields) == nil && fields.Main != "" {
			m := filepath.Join(x, filepath.FromSlash(fields.Main))
			for _, candidate := range []string{m, m + ".js", m + ".json", m + ".node", filepath.Join(m, "index.js"), filepath.Join(m, "index.json"), filepath.Join(m, "index.node")} {
				if isFile(candidate) {
					return candidate, true
				}
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	for _, index := range []string{"index.js", "index.json", "index.node"} {
		if p := filepath.Join(x, index); isFile(p) {
			return p, true
		}
	}
	return "", false
}
