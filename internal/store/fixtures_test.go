package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

// userWithPhoto makes a user and a photo of theirs, both made at.
func userWithPhoto(t testing.TB, s *store.Store, at time.Time) (user, photo string) {
	t.Helper()
	ctx := context.Background()
	user, photo = store.NewID(), store.NewID()
	if err := s.CreateUser(ctx, store.User{ID: user, Role: store.RoleUser, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePhoto(ctx, store.Photo{ID: photo, UserID: user, BlobKey: "k", Format: "jpeg", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	return user, photo
}

// newJob makes a job of the user's photo, made at.
func newJob(t testing.TB, s *store.Store, user, photo string, at time.Time) string {
	t.Helper()
	j := store.NewID()
	if err := s.CreateJob(context.Background(), store.Job{ID: j, UserID: user, PhotoID: photo, SpecID: "cn-1inch", Background: "#FFFFFF", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	return j
}

// previewedJob is newJob with its preview shown to the user at at, so that it can be
// ordered.
func previewedJob(t testing.TB, s *store.Store, user, photo string, at time.Time) string {
	t.Helper()
	j := newJob(t, s, user, photo, at)
	if err := s.RecordPreview(context.Background(), user, j, at); err != nil {
		t.Fatal(err)
	}
	return j
}
