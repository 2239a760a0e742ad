package matte

import (
	"image"
	"testing"
)

func TestChoke(t *testing.T) {
	a := image.NewGray(image.Rect(0, 0, 6, 1))
	copy(a.Pix, []uint8{0, 40, 41, 135, 230, 255})
	Choke(a, DefaultChoke)
	want := []uint8{0, 0, 1, 128, 255, 255}
	for i, w := range want {
		if d := int(a.Pix[i]) - int(w); d < -1 || d > 1 {
			t.Errorf("level %d: %d, want %d", i, a.Pix[i], w)
		}
	}
	// a sub-image is changed only inside its bounds
	big := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range big.Pix {
		big.Pix[i] = 30
	}
	Choke(big.SubImage(image.Rect(1, 1, 3, 3)).(*image.Gray), DefaultChoke)
	if big.GrayAt(0, 0).Y != 30 || big.GrayAt(1, 1).Y != 0 || big.GrayAt(3, 3).Y != 30 {
		t.Errorf("sub-image: %v", big.Pix)
	}
	if got := Choke(a, ChokeRange{Lo: 9, Hi: 9}); got != a {
		t.Error("an empty range must leave the matte alone")
	}
}
