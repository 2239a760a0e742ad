package jpegscale

// A progressive file (T.81 annex G) sends the coefficients in several scans: the
// DC terms first, then bands of AC terms, then the lower bits of both. They are
// kept for every block until the end of the image and only then turned into
// pixels. All 64 are kept even though the reduced transform uses a few: the
// refinement scans say which terms are non-zero across the whole band.

func (d *decoder) checkProgressive(sc *scanInfo) error {
	switch {
	case sc.ss == 0 && sc.se != 0:
		return FormatError("progressive DC scan with AC terms")
	case sc.ss > 0 && (len(sc.comps) != 1 || sc.se < sc.ss || sc.se > 63):
		return FormatError("bad progressive AC scan")
	case sc.al > 13 || sc.ah > 13:
		return FormatError("bad successive approximation")
	}
	return nil
}

func (d *decoder) decodeProgressive(br *bitReader, sc *scanInfo) error {
	block := d.progressiveBlock(sc)
	mcu := 0
	if len(sc.comps) == 1 {
		c := sc.comps[0]
		for by := range c.nbh {
			for bx := range c.nbw {
				if err := d.restartIfDue(br, sc, mcu); err != nil {
					return err
				}
				if err := block(br, c, c.coefs[64*(by*c.bw+bx):][:64]); err != nil {
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
						i := (my*c.v+y)*c.bw + mx*c.h + x
						if err := block(br, c, c.coefs[64*i:][:64]); err != nil {
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

// progressiveBlock picks the function that reads one block's part of scan sc.
func (d *decoder) progressiveBlock(sc *scanInfo) func(*bitReader, *component, []int16) error {
	al := uint(sc.al)
	switch {
	case sc.ss == 0 && sc.ah == 0: // DC, first pass
		return func(br *bitReader, c *component, coefs []int16) error {
			br.fill32()
			s, err := d.dc[c.td].decode(br)
			if err != nil {
				return err
			}
			if s > 15 {
				return FormatError("bad DC difference")
			}
			c.pred += br.receiveExtend(uint(s))
			coefs[0] = int16(c.pred << al)
			return nil
		}
	case sc.ss == 0: // DC, refinement: one more bit
		return func(br *bitReader, _ *component, coefs []int16) error {
			if br.bits(1) != 0 {
				coefs[0] |= 1 << al
			}
			return nil
		}
	case sc.ah == 0: // AC band, first pass
		return func(br *bitReader, c *component, coefs []int16) error {
			if d.eobRun > 0 {
				d.eobRun--
				return nil
			}
			ac := &d.ac[c.ta]
			for k := sc.ss; k <= sc.se; k++ {
				br.fill32()
				rs, err := ac.decode(br)
				if err != nil {
					return err
				}
				r, s := int(rs>>4), uint(rs&15)
				if s == 0 {
					if r == 15 {
						k += 15
						continue
					}
					d.eobRun = 1<<r - 1 + int(br.bits(uint(r)))
					return nil
				}
				if k += r; k > sc.se {
					return FormatError("coefficient index beyond the band")
				}
				coefs[k] = int16(br.receiveExtend(s) << al)
			}
			return nil
		}
	}
	return d.refineAC(sc)
}

// refineAC reads an AC refinement scan's part of a block (T.81 G.1.2.3): a
// correction bit for each term already non-zero, and new terms of ±1 << al.
func (d *decoder) refineAC(sc *scanInfo) func(*bitReader, *component, []int16) error {
	p1 := int16(1) << uint(sc.al)
	m1 := int16(-1) << uint(sc.al)
	// correct refines a term that was already non-zero by one bit.
	correct := func(br *bitReader, v *int16) {
		if br.bits(1) != 0 && *v&p1 == 0 {
			if *v >= 0 {
				*v += p1
			} else {
				*v += m1
			}
		}
	}
	return func(br *bitReader, c *component, coefs []int16) error {
		k := sc.ss
		if d.eobRun == 0 {
			ac := &d.ac[c.ta]
			for ; k <= sc.se; k++ {
				br.fill32()
				rs, err := ac.decode(br)
				if err != nil {
					return err
				}
				r, s := int(rs>>4), rs&15
				var z int16
				switch {
				case s == 1:
					z = m1
					if br.bits(1) != 0 {
						z = p1
					}
				case s != 0:
					return FormatError("bad refinement term")
				case r != 15:
					d.eobRun = 1<<r + int(br.bits(uint(r)))
				}
				if d.eobRun > 0 {
					break
				}
				// Skip r zero terms, correcting the non-zero ones on the way,
				// then place the new term on the next zero one.
				for ; k <= sc.se; k++ {
					if coefs[k] != 0 {
						correct(br, &coefs[k])
						continue
					}
					if r == 0 {
						break
					}
					r--
				}
				if z != 0 {
					if k > sc.se {
						return FormatError("refinement term beyond the band")
					}
					coefs[k] = z
				}
			}
		}
		if d.eobRun > 0 {
			for ; k <= sc.se; k++ {
				if coefs[k] != 0 {
					correct(br, &coefs[k])
				}
			}
			d.eobRun--
		}
		return nil
	}
}

// drawProgressive turns every block's coefficients into pixels.
func (d *decoder) drawProgressive() {
	var blk [64]int32
	for ci := range d.comps {
		c := &d.comps[ci]
		q := &d.quant[c.tq]
		zz, last := c.zz, c.last
		for by := range c.bh {
			for bx := range c.bw {
				coefs := c.coefs[64*(by*c.bw+bx):][:64]
				clear(blk[:kept[c.kx]*kept[c.ky]])
				nz := 1
				blk[0] = int32(coefs[0]) * q[0]
				for i := 1; i <= last; i++ {
					if v := coefs[i]; v != 0 {
						if p := zz[i]; p >= 0 {
							blk[p] = int32(v) * q[i]
							nz = i + 1
						}
					}
				}
				idct(c.kx, c.ky, c.pix[by*c.ky*c.stride+bx*c.kx:], c.stride, &blk, nz)
			}
		}
	}
}
