package blazeface_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/face/blazeface"
	"github.com/idphoto/idphoto/internal/face/facetest"
	"github.com/idphoto/idphoto/internal/models"
	"github.com/idphoto/idphoto/internal/onnx"
)

// detector opens the installed models, or skips: CI without models still passes.
func detector(t testing.TB) *blazeface.Detector {
	t.Helper()
	p, err := models.Locate(models.DefaultDir())
	if err != nil {
		t.Skipf("models not installed (%v)", err)
	}
	rt, err := onnx.Open(onnx.Config{LibraryPath: p.ORTLib, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	det, err := blazeface.New(rt, p.BlazeFront, p.BlazeBack, blazeface.Config{Pool: 2})
	if err != nil {
		rt.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := det.Close(); err != nil {
			t.Error(err)
		}
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return det
}

func TestConformance(t *testing.T) {
	facetest.Run(t, detector(t))
}

// TestScores records the scores seen on the test photos (scores only: no geometry
// reaches a log).
func TestScores(t *testing.T) {
	det := detector(t)
	root, err := facetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"portraits", "no-face"} {
		photos, err := facetest.Load(filepath.Join(root, "testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range photos {
			faces, err := det.Detect(context.Background(), p.Image())
			if err != nil {
				t.Fatal(err)
			}
			scores := make([]float64, len(faces))
			for i, f := range faces {
				scores[i] = f.Score
				if f.String() != "face{redacted}" {
					t.Error("face.String leaks")
				}
			}
			t.Logf("%s/%s: %d faces, scores %.3f, roll %.2f", dir, p.Name(), len(faces), scores, roll(faces))
		}
	}
}

func roll(faces []face.Face) float64 {
	if len(faces) == 0 {
		return 0
	}
	return faces[0].Roll()
}

func BenchmarkDetect(b *testing.B) {
	det := detector(b)
	root, err := facetest.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"hivision-test1.jpg", "messi5.jpg"} {
		img, err := facetest.Decode(filepath.Join(root, "testdata", "portraits", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := det.Detect(context.Background(), img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
