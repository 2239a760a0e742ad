package geometry

import "image/color"

func colorGray(v uint8) color.Gray { return color.Gray{Y: v} }
