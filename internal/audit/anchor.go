package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

// The hash chain shows a changed or removed entry, but not the newest entries cut
// off: what is left is still a valid chain. An anchor is the chain's head (the seq
// and hash of the newest entry) written down outside the database; a chain that no
// longer reaches an anchor has lost entries or had them changed. serve appends the
// head to an anchor file at intervals; operators ship that file elsewhere (another
// machine, a log service, write-once storage), where whoever can write the database
// cannot reach it.

// Anchor is the head of the chain at some time: entry Seq had hash Hash. The empty
// log's anchor is seq 0 with no hash.
type Anchor struct {
	Seq  int64
	Hash []byte
}

// String writes the anchor as "SEQ HEX" ("0 -" for the empty log), as ParseAnchor
// reads it.
func (a Anchor) String() string {
	if a.Seq == 0 {
		return "0 -"
	}
	return strconv.FormatInt(a.Seq, 10) + " " + hex.EncodeToString(a.Hash)
}

// ErrBadAnchor means a text is not an anchor.
var ErrBadAnchor = errors.New("audit: not an anchor (SEQ HASH or SEQ:HASH, the hash in hex)")

// ParseAnchor reads "SEQ HASH" or "SEQ:HASH", the hash 64 hex digits (SHA-256), or
// "0 -" for the empty log. A line of an anchor file may carry a third field, the time
// it was written, which is not part of the anchor.
func ParseAnchor(s string) (Anchor, error) {
	s = strings.TrimSpace(s)
	var fields []string
	if seq, hash, ok := strings.Cut(s, ":"); ok && !strings.ContainsAny(seq, " \t") {
		fields = []string{seq, hash}
	} else {
		fields = strings.Fields(s)
		if len(fields) == 3 {
			if _, err := time.Parse(time.RFC3339, fields[2]); err != nil {
				return Anchor{}, ErrBadAnchor
			}
			fields = fields[:2]
		}
	}
	if len(fields) != 2 || len(fields[0]) > 19 {
		return Anchor{}, ErrBadAnchor
	}
	seq, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || seq < 0 || strconv.FormatInt(seq, 10) != fields[0] {
		return Anchor{}, ErrBadAnchor
	}
	if seq == 0 {
		if fields[1] != "-" {
			return Anchor{}, ErrBadAnchor
		}
		return Anchor{}, nil
	}
	h := fields[1]
	if len(h) != 64 || strings.ToLower(h) != h {
		return Anchor{}, ErrBadAnchor
	}
	hash, err := hex.DecodeString(h)
	if err != nil {
		return Anchor{}, ErrBadAnchor
	}
	return Anchor{Seq: seq, Hash: hash}, nil
}

// ReadAnchors reads an anchor file: one anchor a line, blank lines and lines
// starting with # skipped. A line that is not an anchor is an error naming it.
func ReadAnchors(r io.Reader) ([]Anchor, error) {
	var out []Anchor
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, err := ParseAnchor(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit: read anchors: %w", err)
	}
	return out, nil
}

// Head returns the chain's head now.
func (l *Log) Head(ctx context.Context) (Anchor, error) {
	var a Anchor
	err := l.store.AuditEntries(ctx, func(e store.AuditEntry) error {
		a = Anchor{Seq: e.Seq, Hash: e.Hash}
		return nil
	})
	return a, err
}

// VerifyAnchors walks the chain as Verify does and also checks that it reaches every
// anchor: the entry at each anchor's seq exists and has the anchor's hash. Entries
// cut off the end, or changed and hashed again, fail with ErrTampered.
func (l *Log) VerifyAnchors(ctx context.Context, anchors ...Anchor) (int, error) {
	at := map[int64][]byte{}
	var last int64
	for _, a := range anchors {
		if a.Seq == 0 {
			continue
		}
		if h, dup := at[a.Seq]; dup && !bytes.Equal(h, a.Hash) {
			return 0, fmt.Errorf("%w: two anchors name entry %d with different hashes", ErrTampered, a.Seq)
		}
		at[a.Seq] = a.Hash
		last = max(last, a.Seq)
	}
	n := 0
	var prev = []byte{}
	var want int64 = 1
	err := l.store.AuditEntries(ctx, func(e store.AuditEntry) error {
		switch {
		case e.Seq != want:
			return fmt.Errorf("%w: entry %d is missing", ErrTampered, want)
		case !bytes.Equal(e.PrevHash, prev):
			return fmt.Errorf("%w: entry %d does not follow entry %d", ErrTampered, e.Seq, e.Seq-1)
		case !bytes.Equal(Hash(e), e.Hash):
			return fmt.Errorf("%w: entry %d was changed", ErrTampered, e.Seq)
		}
		if h, ok := at[e.Seq]; ok && !bytes.Equal(h, e.Hash) {
			return fmt.Errorf("%w: entry %d is not the one anchored (changed, or cut off and written again)", ErrTampered, e.Seq)
		}
		prev, want = e.Hash, want+1
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	if int64(n) < last {
		return n, fmt.Errorf("%w: the log ends at entry %d but an anchor names entry %d: entries were removed", ErrTampered, n, last)
	}
	return n, nil
}

// Verify walks the chain and returns how many entries it checked, or ErrTampered
// wrapped with the first entry where the chain breaks. Without anchors it can't see
// the newest entries cut off: see VerifyAnchors.
func (l *Log) Verify(ctx context.Context) (int, error) { return l.VerifyAnchors(ctx) }

// AppendAnchor appends the head to the anchor file at path (made 0600 if missing)
// unless the file's last anchor is the head already, and syncs it. It returns the
// head and whether it wrote it.
func (l *Log) AppendAnchor(ctx context.Context, path string) (Anchor, bool, error) {
	head, err := l.Head(ctx)
	if err != nil || head.Seq == 0 {
		return head, false, err
	}
	if b, err := os.ReadFile(path); err == nil {
		if as, err := ReadAnchors(bytes.NewReader(b)); err == nil && len(as) > 0 {
			if last := as[len(as)-1]; last.Seq == head.Seq && bytes.Equal(last.Hash, head.Hash) {
				return head, false, nil
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return head, false, fmt.Errorf("audit: anchor file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return head, false, fmt.Errorf("audit: anchor file: %w", err)
	}
	// One write of the whole line, so a crash leaves the line or nothing.
	_, err = f.WriteString(head.String() + " " + l.now().UTC().Format(time.RFC3339) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return head, false, fmt.Errorf("audit: anchor file: %w", err)
	}
	return head, true, nil
}

// RunAnchors appends the head to the anchor file now and then every interval until
// ctx ends (serve's loop), logging each new anchor: the seq and hash are about no one.
func (l *Log) RunAnchors(ctx context.Context, path string, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		head, wrote, err := l.AppendAnchor(ctx, path)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("audit anchor not written", slog.String("error", err.Error()))
		case wrote:
			log.Info("audit anchor", slog.Int64("seq", head.Seq), slog.String("hash", hex.EncodeToString(head.Hash)))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
