package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

func libraryUser(t testing.TB, s *store.Store) string {
	t.Helper()
	u := store.NewID()
	if err := s.CreateUser(context.Background(), store.User{ID: u, Role: store.RoleUser, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return u
}

// libraryPhotos makes n photos uploaded from base on, step apart, pairs at the same
// time (ties by id), taken in three months (the uploads interleave across them).
func libraryPhotos(user string, n int, base time.Time, step time.Duration) []store.LibraryPhoto {
	ps := make([]store.LibraryPhoto, n)
	for i := range ps {
		id := store.NewID()
		ps[i] = store.LibraryPhoto{Photo: store.Photo{ID: id, UserID: user, BlobKey: "photos/" + id, Format: "jpeg", Width: 4, Height: 3,
			CreatedAt: base.Add(time.Duration(i/2) * step)}, SortMonth: store.MonthOf(base.AddDate(0, i%3, 0)), MetaSealed: []byte("sealed")}
	}
	return ps
}

// feedBefore says whether a comes before b in the feed: later month, then later
// upload, then greater id.
func feedBefore(a, b store.LibraryPhoto) bool {
	if a.SortMonth != b.SortMonth {
		return a.SortMonth > b.SortMonth
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

func TestFeedPagesNewestFirst(t *testing.T) { eachDialect(t, testFeedPagesNewestFirst) }

func testFeedPagesNewestFirst(t *testing.T, s *store.Store) {
	ctx := context.Background()
	u, other := libraryUser(t, s), libraryUser(t, s)
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateLibraryPhotos(ctx, libraryPhotos(u, 11, base, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLibraryPhotos(ctx, libraryPhotos(other, 3, base, time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A photo added the old way sorts by its upload month in China time (the
	// migration's trigger): 23:00 UTC on 30 April is 1 May in Beijing.
	old := store.Photo{ID: store.NewID(), UserID: u, BlobKey: "k", Format: "jpeg", CreatedAt: base.Add(-time.Hour)}
	if err := s.CreatePhoto(ctx, old); err != nil {
		t.Fatal(err)
	}
	var got []store.LibraryPhoto
	var after *store.FeedCursor
	for {
		page, err := s.Feed(ctx, u, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if len(page) < 4 {
			break
		}
		after = new(store.CursorAfter(page[len(page)-1]))
	}
	if len(got) != 12 {
		t.Fatalf("%d photos, want 12", len(got))
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if !feedBefore(a, b) {
			t.Errorf("out of order at %d", i)
		}
		if b.UserID != u {
			t.Error("another user's photo in the feed")
		}
	}
	if last := got[len(got)-1]; last.ID != old.ID || last.SortMonth != 202405 || last.MetaSealed != nil {
		t.Errorf("photo without library data: %+v", last)
	}
}

func TestThumbsGoWithThePhoto(t *testing.T) { eachDialect(t, testThumbsGoWithThePhoto) }

func testThumbsGoWithThePhoto(t *testing.T, s *store.Store) {
	ctx := context.Background()
	u, other := libraryUser(t, s), libraryUser(t, s)
	p := libraryPhotos(u, 1, time.Now(), 0)[0]
	if err := s.CreateLibraryPhoto(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.PutThumb(ctx, p.ID, 240, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutThumb(ctx, p.ID, 240, []byte("b")); err != nil { // replaced
		t.Fatal(err)
	}
	if b, err := s.Thumb(ctx, u, p.ID, 240); err != nil || string(b) != "b" {
		t.Fatalf("thumb: %q %v", b, err)
	}
	if _, err := s.Thumb(ctx, other, p.ID, 240); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another user's thumb: %v", err)
	}
	if _, err := s.Thumb(ctx, u, p.ID, 480); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a width not made: %v", err)
	}
	if err := s.DeletePhoto(ctx, u, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Thumb(ctx, u, p.ID, 240); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("thumb outlived its photo: %v", err)
	}
}

// BenchmarkFeedPage reads a page of 25 from 10,000 photos at page 1 and at page
// 400 (the last): the query alone, without the API's decryption and JSON.
func BenchmarkFeedPage(b *testing.B) {
	ctx := context.Background()
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(b.TempDir(), "idphoto.db")
	s, err := store.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	u := libraryUser(b, s)
	ps := libraryPhotos(u, 10_000, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	for i := range ps { // taken over about two years
		ps[i].SortMonth = store.MonthOf(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 90 * time.Minute))
	}
	if err := s.CreateLibraryPhotos(ctx, ps); err != nil {
		b.Fatal(err)
	}
	const limit = 25
	cursors := map[int]*store.FeedCursor{1: nil}
	var after *store.FeedCursor
	for page := 1; page <= 400; page++ {
		cursors[page] = after
		ps, err := s.Feed(ctx, u, after, limit)
		if err != nil || len(ps) != limit {
			b.Fatalf("page %d: %d, %v", page, len(ps), err)
		}
		after = new(store.CursorAfter(ps[len(ps)-1]))
	}
	for _, page := range []int{1, 400} {
		b.Run(fmt.Sprintf("page=%d", page), func(b *testing.B) {
			for b.Loop() {
				if ps, err := s.Feed(ctx, u, cursors[page], limit); err != nil || len(ps) != limit {
					b.Fatal(len(ps), err)
				}
			}
		})
	}
}

// A sort month that is not YYYYMM is refused before it reaches the database.
func TestLibraryPhotoMonthMustBeYYYYMM(t *testing.T) {
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "idphoto.db")
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := libraryUser(t, s)
	for _, m := range []int{202413, 202400, 99, 1714527015000 / 1000, -202405} {
		p := libraryPhotos(u, 1, time.Now(), 0)[0]
		p.SortMonth = m
		if err := s.CreateLibraryPhoto(context.Background(), p); err == nil {
			t.Errorf("month %d stored", m)
		}
	}
	for at, want := range map[time.Time]int{
		time.Date(2024, 4, 30, 23, 0, 0, 0, time.UTC):                        202405, // 07:00 on 1 May in Beijing
		time.Date(2024, 12, 31, 15, 59, 59, 0, time.UTC):                     202412,
		time.Date(2024, 12, 31, 16, 0, 0, 0, time.UTC):                       202501,
		time.Date(2024, 6, 1, 1, 0, 0, 0, time.FixedZone("", -5*3600)).UTC(): 202406,
	} {
		if got := store.UploadMonth(at); got != want {
			t.Errorf("UploadMonth(%v) = %d, want %d", at, got, want)
		}
	}
	// A capture time keeps its own zone's month.
	if got := store.MonthOf(time.Date(2024, 5, 31, 22, 0, 0, 0, time.FixedZone("", -5*3600))); got != 202405 {
		t.Errorf("MonthOf in the camera's zone: %d", got)
	}
}
