// Package jpegscale decodes a JPEG straight to a half, a quarter or an eighth of its
// size. A 12 MP phone photo that is only needed at a fraction of its size spends
// most of a full decode on inverse DCTs and pixels that are averaged away at once;
// here each 8x8 block of coefficients becomes a 4x4, 2x2 or 1x1 block of pixels
// directly, each pixel the average of the pixels it stands for (ITU-T T.81 with a
// reduced inverse DCT).
//
// It reads baseline and extended sequential Huffman JPEGs and progressive ones,
// 8-bit, greyscale or YCbCr with 4:4:4, 4:2:2, 4:4:0 or 4:2:0 chroma, with or
// without restart markers. Anything else (arithmetic coding, 12-bit or lossless,
// CMYK or RGB files, other chroma layouts) is ErrUnsupported, and damaged data is
// an error: callers decode those with image/jpeg.
//
// Every file is treated as hostile: the pixel count is checked against a limit
// before anything is allocated, every length and index is checked against the
// data, and the work is bounded by the frame size and the number of scans.
package jpegscale

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// ErrUnsupported is a JPEG this package does not decode; image/jpeg may.
var ErrUnsupported = errors.New("jpegscale: unsupported JPEG")

// ErrTooManyPixels is a frame larger than the limit given to Decode.
var ErrTooManyPixels = errors.New("jpegscale: too many pixels")

// FormatError is a damaged or invalid JPEG.
type FormatError string

func (e FormatError) Error() string { return "jpegscale: invalid JPEG: " + string(e) }

// unsupported wraps ErrUnsupported with what was found.
func unsupported(what string) error { return fmt.Errorf("%w: %s", ErrUnsupported, what) }

// maxScans bounds the work a progressive file can ask for: each scan passes over
// the whole frame, and real encoders write about ten.
const maxScans = 100

// Decode decodes data at 1/scale of its size (scale 2, 4 or 8), refusing a frame
// of more than maxPixels pixels at full size. The result is an *image.YCbCr, or an
// *image.Gray for a greyscale file, ceil(width/scale) x ceil(height/scale) pixels.
// Subsampled chroma comes out at luma's resolution (4:4:4) at a quarter and an
// eighth of the size; at half size it keeps the file's subsampling.
func Decode(data []byte, scale int, maxPixels int64) (image.Image, error) {
	if scale != 2 && scale != 4 && scale != 8 {
		return nil, fmt.Errorf("jpegscale: scale %d, want 2, 4 or 8", scale)
	}
	d := &decoder{data: data, k: 8 / scale, maxPixels: maxPixels}
	if err := d.decode(); err != nil {
		return nil, err
	}
	return d.image(), nil
}

// component is one colour plane of the frame and, once decoded, its pixels.
type component struct {
	id     uint8
	h, v   int // sampling factors
	tq     int // quantisation table
	bw, bh int // blocks across and down the plane, padded to whole MCUs
	// nbw and nbh are the blocks that hold image data, which is what a scan of this
	// component alone covers.
	nbw, nbh int
	// kx x ky pixels is what each block becomes: k x k for luma, more for
	// subsampled chroma, so that it comes out at luma's resolution.
	kx, ky int
	zz     *[64]int8 // zigzagTo[kx][ky]
	last   int       // lastKept[kx][ky]
	pix    []uint8   // the plane at the decoded scale, bw*kx x bh*ky
	stride int
	coefs  []int16 // progressive files: every block's 64 coefficients, zig-zag order
	pred   int32   // DC predictor in the current scan
	td, ta int     // the current scan's Huffman tables
}

type decoder struct {
	data      []byte
	k         int // pixels a block becomes across and down: 8 / scale
	maxPixels int64

	width, height int
	progressive   bool
	comps         []component
	hmax, vmax    int
	mcusX, mcusY  int
	quant         [4][64]int32 // zig-zag order
	quantSet      [4]bool
	dc, ac        [4]huffTable
	restart       int // MCUs per restart interval, 0 for none
	jfif          bool
	adobe         bool
	adobeRGB      bool // an Adobe segment saying the colours are not YCbCr
	scans         int
	eobRun        int // progressive AC scans: blocks left in the current end-of-band run
}

// decode walks the markers of the file and decodes every scan.
func (d *decoder) decode() error {
	data := d.data
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return FormatError("missing SOI marker")
	}
	pos := 2
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		for pos < len(data) && data[pos] != 0xFF {
			pos++ // junk between segments: skip it, as decoders commonly do
		}
		for pos+1 < len(data) && data[pos+1] == 0xFF {
			pos++
		}
		if pos+1 >= len(data) {
			if d.scans == 0 {
				return FormatError("no image data")
			}
			return FormatError("missing EOI marker")
		}
		marker := data[pos+1]
		pos += 2
		switch {
		case marker == 0xD9: // EOI
			if d.scans == 0 {
				return FormatError("no image data")
			}
			if d.progressive {
				d.drawProgressive()
			}
			return nil
		case marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			continue // stuffed byte, TEM or a stray restart marker: no segment follows
		case marker == 0xD8:
			return FormatError("second SOI marker")
		}
		if pos+2 > len(data) {
			return FormatError("segment length missing")
		}
		n := int(binary.BigEndian.Uint16(data[pos:]))
		if n < 2 || pos+n > len(data) {
			return FormatError("segment longer than the file")
		}
		seg := data[pos+2 : pos+n]
		pos += n
		var err error
		switch {
		case marker == 0xC0 || marker == 0xC1 || marker == 0xC2:
			err = d.parseFrame(seg, marker == 0xC2)
		case marker == 0xC4:
			err = d.parseHuffman(seg)
		case marker == 0xDB:
			err = d.parseQuant(seg)
		case marker == 0xDD:
			if len(seg) != 2 {
				return FormatError("bad DRI segment")
			}
			d.restart = int(binary.BigEndian.Uint16(seg))
		case marker == 0xDA:
			if d.comps == nil {
				return FormatError("scan before frame")
			}
			pos, err = d.scan(seg, pos)
		case marker == 0xE0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case marker == 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe = true
				d.adobeRGB = seg[11] == 0
			}
		case marker >= 0xC3 && marker <= 0xCF: // other frame types, arithmetic tables
			return unsupported(fmt.Sprintf("marker %#02x (lossless, hierarchical or arithmetic coding)", marker))
		case marker == 0xDC:
			return unsupported("DNL marker")
		}
		// APPn, COM and other segments are skipped.
		if err != nil {
			return err
		}
	}
}

func (d *decoder) parseFrame(seg []byte, progressive bool) error {
	if d.comps != nil {
		return FormatError("second frame")
	}
	if len(seg) < 6 {
		return FormatError("short SOF segment")
	}
	if seg[0] != 8 {
		return unsupported(fmt.Sprintf("%d-bit samples", seg[0]))
	}
	d.height = int(binary.BigEndian.Uint16(seg[1:]))
	d.width = int(binary.BigEndian.Uint16(seg[3:]))
	nc := int(seg[5])
	if d.height == 0 {
		return unsupported("height given by a DNL marker")
	}
	if d.width == 0 {
		return FormatError("zero width")
	}
	if nc != 1 && nc != 3 {
		return unsupported(fmt.Sprintf("%d components", nc))
	}
	if len(seg) != 6+3*nc {
		return FormatError("bad SOF length")
	}
	d.progressive = progressive
	d.comps = make([]component, nc)
	for i := range d.comps {
		c := &d.comps[i]
		c.id = seg[6+3*i]
		c.h, c.v = int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
		c.tq = int(seg[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return FormatError("bad component")
		}
		for j := range i {
			if d.comps[j].id == c.id {
				return FormatError("repeated component id")
			}
		}
	}
	if nc == 3 {
		if !d.jfif && (d.adobeRGB || (d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B')) {
			return unsupported("RGB colour")
		}
		y, cb, cr := d.comps[0], d.comps[1], d.comps[2]
		if cb.h != cr.h || cb.v != cr.v || y.h%cb.h != 0 || y.v%cb.v != 0 || y.h/cb.h > 2 || y.v/cb.v > 2 || y.h > 2 || y.v > 2 {
			return unsupported("chroma subsampling")
		}
	} else {
		// One component is never interleaved: its MCU is one block whatever the
		// factors say.
		d.comps[0].h, d.comps[0].v = 1, 1
	}
	if int64(d.width)*int64(d.height) > d.maxPixels {
		return ErrTooManyPixels
	}
	for _, c := range d.comps {
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		cw := (d.width*c.h + d.hmax - 1) / d.hmax
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		c.nbw, c.nbh = (cw+7)/8, (ch+7)/8
		// Chroma sampled at half luma's rate is decoded at twice luma's scale, so
		// that it keeps all it holds, but not in full (8x8): at half size the
		// chroma planes stay subsampled, as in the file, which saves a full
		// inverse DCT for a third of the blocks.
		c.kx, c.ky = min(4, d.k*d.hmax/c.h), min(4, d.k*d.vmax/c.v)
		c.zz, c.last = &zigzagTo[c.kx][c.ky], lastKept[c.kx][c.ky]
		c.stride = c.bw * c.kx
		c.pix = make([]uint8, c.stride*c.bh*c.ky)
		if d.progressive {
			c.coefs = make([]int16, 64*c.bw*c.bh)
		}
	}
	return nil
}

func (d *decoder) parseQuant(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return FormatError("bad DQT table")
		}
		n := 64 << pq
		if len(seg) < 1+n {
			return FormatError("short DQT segment")
		}
		q := &d.quant[tq]
		for i := range q {
			if pq == 0 {
				q[i] = int32(seg[1+i])
			} else {
				q[i] = int32(binary.BigEndian.Uint16(seg[1+2*i:]))
			}
		}
		d.quantSet[tq] = true
		seg = seg[1+n:]
	}
	return nil
}

func (d *decoder) parseHuffman(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return FormatError("short DHT segment")
		}
		tc, th := seg[0]>>4, int(seg[0]&15)
		if tc > 1 || th > 3 {
			return FormatError("bad DHT table")
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return FormatError("bad DHT table")
		}
		t := &d.dc[th]
		if tc == 1 {
			t = &d.ac[th]
		}
		if err := t.build(counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// scan reads an SOS header, decodes the entropy-coded data after it at pos and
// returns where that data ends.
func (d *decoder) scan(seg []byte, pos int) (int, error) {
	if d.scans++; d.scans > maxScans {
		return 0, FormatError("too many scans")
	}
	if len(seg) < 1 {
		return 0, FormatError("short SOS segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) != 4+2*ns {
		return 0, FormatError("bad SOS segment")
	}
	sc := scanInfo{comps: make([]*component, ns)}
	blocks := 0
	for i := range ns {
		id, tables := seg[1+2*i], seg[2+2*i]
		var c *component
		for j := range d.comps {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		if c == nil {
			return 0, FormatError("scan names an unknown component")
		}
		for _, o := range sc.comps[:i] {
			if o == c {
				return 0, FormatError("scan repeats a component")
			}
		}
		c.td, c.ta = int(tables>>4), int(tables&15)
		if c.td > 3 || c.ta > 3 || !d.quantSet[c.tq] {
			return 0, FormatError("scan uses a missing table")
		}
		sc.comps[i] = c
		blocks += c.h * c.v
	}
	if ns > 1 && blocks > 10 {
		return 0, FormatError("too many blocks in an MCU")
	}
	p := seg[1+2*ns:]
	sc.ss, sc.se, sc.ah, sc.al = int(p[0]), int(p[1]), int(p[2]>>4), int(p[2]&15)
	if d.progressive {
		if err := d.checkProgressive(&sc); err != nil {
			return 0, err
		}
	} else if sc.ss != 0 || sc.se != 63 || sc.ah != 0 || sc.al != 0 {
		return 0, FormatError("bad spectral selection in a sequential scan")
	}
	for _, c := range sc.comps {
		needDC := !d.progressive || (sc.ss == 0 && sc.ah == 0)
		needAC := !d.progressive || sc.ss > 0
		if (needDC && !d.dc[c.td].set) || (needAC && !d.ac[c.ta].set) {
			return 0, FormatError("scan uses a missing Huffman table")
		}
		c.pred = 0
	}
	d.eobRun = 0
	br := bitReader{data: d.data, pos: pos}
	var err error
	if d.progressive {
		err = d.decodeProgressive(&br, &sc)
	} else {
		err = d.decodeSequential(&br, &sc)
	}
	if err != nil {
		return 0, err
	}
	return br.end(), nil
}

type scanInfo struct {
	comps          []*component
	ss, se, ah, al int
}

// decodeSequential decodes a baseline or extended sequential scan, turning each
// block into pixels as soon as it is read.
func (d *decoder) decodeSequential(br *bitReader, sc *scanInfo) error {
	var blk [64]int32
	mcu := 0
	decodeBlock := func(c *component, bx, by int) error {
		clear(blk[:kept[c.kx]*kept[c.ky]])
		nz, err := d.readBlock(br, c, &blk)
		if err != nil {
			return err
		}
		idct(c.kx, c.ky, c.pix[by*c.ky*c.stride+bx*c.kx:], c.stride, &blk, nz)
		return nil
	}
	if len(sc.comps) == 1 {
		c := sc.comps[0]
		for by := range c.nbh {
			for bx := range c.nbw {
				if err := d.restartIfDue(br, sc, mcu); err != nil {
					return err
				}
				if err := decodeBlock(c, bx, by); err != nil {
					return err
				}
				mcu++
			}
			if br.overrun() {
				return errShortData
			}
		}
		return nil
	}
	for my := range d.mcusY {
		for mx := range d.mcusX {
			if err := d.restartIfDue(br, sc, mcu); err != nil {
				return err
			}
			for _, c := range sc.comps {
				for y := range c.v {
					for x := range c.h {
						if err := decodeBlock(c, mx*c.h+x, my*c.v+y); err != nil {
							return err
						}
					}
				}
			}
			mcu++
		}
		if br.overrun() {
			return errShortData
		}
	}
	return nil
}

var errShortData = FormatError("entropy-coded data ends early")

// restartIfDue expects a restart marker before MCU number mcu when one is due, and
// resets the decoder's state after it.
func (d *decoder) restartIfDue(br *bitReader, sc *scanInfo, mcu int) error {
	if d.restart == 0 || mcu == 0 || mcu%d.restart != 0 {
		return nil
	}
	if br.overrun() {
		return errShortData
	}
	if !br.restart() {
		return FormatError("missing restart marker")
	}
	for _, c := range sc.comps {
		c.pred = 0
	}
	d.eobRun = 0
	return nil
}

// readBlock reads one block's coefficients in a sequential scan, dequantised, into
// blk: only those the reduced inverse DCT uses are kept. It returns how many kept
// coefficients may be non-zero counting in zig-zag order (1 means DC only).
func (d *decoder) readBlock(br *bitReader, c *component, blk *[64]int32) (int, error) {
	q := &d.quant[c.tq]
	dc, ac := &d.dc[c.td], &d.ac[c.ta]
	br.fill32()
	s, err := dc.decode(br)
	if err != nil {
		return 0, err
	}
	if s > 15 {
		return 0, FormatError("bad DC difference")
	}
	c.pred += br.receiveExtend(uint(s))
	blk[0] = c.pred * q[0]
	zz, last := c.zz, c.last
	nz := 1
	for i := 1; i < 64; i++ {
		br.fill32()
		rs, err := ac.decode(br)
		if err != nil {
			return 0, err
		}
		r, s := int(rs>>4), uint(rs&15)
		if s == 0 {
			if r != 15 {
				break // end of block
			}
			i += 15
			continue
		}
		i += r
		if i > 63 {
			return 0, FormatError("coefficient index beyond 63")
		}
		if i > last {
			br.skip(s) // a frequency the reduced transform doesn't use
			continue
		}
		v := br.receiveExtend(s)
		if p := zz[i]; p >= 0 {
			blk[p] = v * q[i]
			nz = i + 1
		}
	}
	return nz, nil
}

// image wraps the decoded planes, cropped to the frame at the decoded scale.
func (d *decoder) image() image.Image {
	w := (d.width*d.k + 7) / 8
	h := (d.height*d.k + 7) / 8
	r := image.Rect(0, 0, w, h)
	y := &d.comps[0]
	if len(d.comps) == 1 {
		return &image.Gray{Pix: y.pix, Stride: y.stride, Rect: r}
	}
	cb, cr := &d.comps[1], &d.comps[2]
	ratio := image.YCbCrSubsampleRatio444
	switch [2]int{y.h * y.kx / (cb.h * cb.kx), y.v * y.ky / (cb.v * cb.ky)} {
	case [2]int{2, 1}:
		ratio = image.YCbCrSubsampleRatio422
	case [2]int{2, 2}:
		ratio = image.YCbCrSubsampleRatio420
	case [2]int{1, 2}:
		ratio = image.YCbCrSubsampleRatio440
	}
	return &image.YCbCr{Y: y.pix, Cb: cb.pix, Cr: cr.pix, YStride: y.stride, CStride: cb.stride, SubsampleRatio: ratio, Rect: r}
}
