package jpegscale

// lutBits is how many leading bits the lookup table decodes at once: almost every
// code in a photo is this short, and the table stays in the first-level cache.
const lutBits = 9

// huffTable is one Huffman table (T.81 annex C) with a lookup table for short codes.
type huffTable struct {
	// lut holds, for every lutBits-bit prefix, the code's length << 8 | its
	// symbol, or 0 when the code is longer.
	lut [1 << lutBits]uint16
	// maxCode is the largest code of each length (-1 for none); valOff turns a
	// code of that length into an index into vals.
	maxCode [17]int32
	valOff  [17]int32
	vals    [256]uint8
	set     bool
}

func (t *huffTable) build(counts [16]int, vals []byte) error {
	*t = huffTable{}
	copy(t.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		t.valOff[l] = k - code
		t.maxCode[l] = -1
		for range counts[l-1] {
			if code >= 1<<l {
				return FormatError("bad Huffman table")
			}
			if l <= lutBits {
				lo, hi := code<<(lutBits-l), (code+1)<<(lutBits-l)
				for i := lo; i < hi; i++ {
					t.lut[i] = uint16(l)<<8 | uint16(vals[k])
				}
			}
			t.maxCode[l] = code
			code++
			k++
		}
		code <<= 1
	}
	t.set = true
	return nil
}

// decode reads one symbol. The reader must hold at least 16 bits.
func (t *huffTable) decode(b *bitReader) (uint8, error) {
	if e := t.lut[b.acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(e), nil
	}
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(b.acc >> (64 - l))
		if code <= t.maxCode[l] {
			i := code + t.valOff[l]
			if i < 0 || i > 255 {
				break
			}
			b.acc <<= l
			b.n -= l
			return t.vals[i], nil
		}
	}
	return 0, FormatError("bad Huffman code")
}

// bitReader reads entropy-coded data: bytes with 0xFF followed by a stuffed 0x00,
// ending at a marker. Past the end it reads zeros and counts them, so decoding
// never runs off the data and a scan that needs more than it has is found out.
type bitReader struct {
	data   []byte
	pos    int    // next byte to read
	acc    uint64 // bits not read yet, first bit in the top
	n      uint   // bits in acc
	pad    uint   // how many of the last bits in acc are made-up zeros
	marker bool   // a marker or the end of the data is at pos
}

// fill32 makes sure at least 32 bits are buffered: a Huffman code and the bits
// that follow it.
func (b *bitReader) fill32() {
	if b.n < 32 {
		b.fill()
	}
}

func (b *bitReader) fill() {
	// Fast path: eight bytes with no 0xFF among them.
	if !b.marker && b.pos+8 <= len(b.data) {
		for b.n <= 56 {
			c := b.data[b.pos]
			if c == 0xFF {
				break
			}
			b.pos++
			b.acc |= uint64(c) << (56 - b.n)
			b.n += 8
		}
	}
	for b.n <= 56 {
		var c byte
		if !b.marker {
			switch {
			case b.pos >= len(b.data):
				b.marker = true
			case b.data[b.pos] != 0xFF:
				c = b.data[b.pos]
				b.pos++
			case b.pos+1 < len(b.data) && b.data[b.pos+1] == 0:
				c = 0xFF
				b.pos += 2
			default:
				b.marker = true
			}
		}
		if b.marker {
			b.pad += 8
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether more bits were read than the data holds.
func (b *bitReader) overrun() bool { return b.n < b.pad }

// receiveExtend reads an s-bit value and extends it to a signed coefficient
// (T.81 F.2.2.1). The reader must hold s bits; s is at most 15.
func (b *bitReader) receiveExtend(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// skip drops s bits the reader holds.
func (b *bitReader) skip(s uint) {
	b.acc <<= s
	b.n -= s
}

// bits reads s bits (at most 16), filling the buffer when needed.
func (b *bitReader) bits(s uint) int32 {
	if s == 0 {
		return 0
	}
	if b.n < s {
		b.fill()
	}
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	return v
}

// restart moves past the restart marker that must end the current interval and
// empties the buffer. It reports false when no restart marker comes next.
func (b *bitReader) restart() bool {
	p := b.pos
	for p+1 < len(b.data) {
		if b.data[p] != 0xFF {
			p++ // the rest of the interval's data, never read
			continue
		}
		switch m := b.data[p+1]; {
		case m == 0x00:
			p += 2
			continue
		case m == 0xFF:
			p++
			continue
		case m >= 0xD0 && m <= 0xD7:
			b.pos, b.acc, b.n, b.pad, b.marker = p+2, 0, 0, 0, false
			return true
		}
		return false
	}
	return false
}

// end is where the scan's data ends: the next marker is there or after it.
func (b *bitReader) end() int { return b.pos }
