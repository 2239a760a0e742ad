package httpapi

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

// A feed cursor comes back as it went out; the two-part cursors of the exact
// capture time (before migration 0010) and anything else are refused.
func TestFeedCursor(t *testing.T) {
	c := store.FeedCursor{Month: 202405, CreatedAt: time.UnixMilli(1714527015123), ID: store.NewID()}
	got, err := decodeCursor(encodeCursor(c))
	if err != nil || got.Month != c.Month || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{
		enc("1714527015000." + c.ID), // before 0010
		enc("202413.1714527015000." + c.ID),
		enc("202405.x." + c.ID),
		enc("202405.1714527015000.nope"),
		enc("202405.1714527015000." + c.ID + ".1"),
		"%%%", "",
	} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	id := store.NewID()
	f.Add(encodeCursor(store.FeedCursor{Month: 202405, CreatedAt: time.UnixMilli(1714527015000), ID: id}))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("1714527015000." + id)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("000202405.-1." + id)))
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		if !store.ValidMonth(c.Month) || !store.ValidID(c.ID) {
			t.Fatalf("accepted %q as %+v", s, c)
		}
		again, err := decodeCursor(encodeCursor(c))
		if err != nil || again.Month != c.Month || !again.CreatedAt.Equal(c.CreatedAt) || again.ID != c.ID {
			t.Fatalf("%+v does not come back: %+v %v", c, again, err)
		}
	})
}
