package order

import (
	"errors"
	"fmt"
	"time"
)

// Kind is what an item is.
type Kind string

// The kinds of item.
const (
	KindEPhoto  Kind = "ephoto"  // the clean digital photo of a job
	KindPrint   Kind = "print"   // a printed sheet holding Copies copies of a job's photo
	KindMailing Kind = "mailing" // posting the prints to the user
)

// Line is what a user asks for; Config.Price turns lines into priced items.
type Line struct {
	Kind  Kind
	JobID string // the photo job, for e-photos and prints
	// Copies is how many photos one print sheet holds (the sheet's layout).
	Copies int
	// Quantity is how many e-photos, sheets or mailings; 0 means 1.
	Quantity int
}

// Item is a priced line.
type Item struct {
	Kind      Kind
	JobID     string
	Copies    int
	Quantity  int
	UnitFen   int64
	AmountFen int64
}

// Prices are in fen (0.01 CNY), integers so sums are exact.
type Prices struct {
	EPhotoFen     int64 // one e-photo
	PrintSheetFen int64 // one printed sheet, whatever its layout
	MailingFen    int64 // posting one order's prints
}

// Config is the order package's configuration.
type Config struct {
	Prices Prices
	// UnpaidTTL is how long an order may stay unpaid before it expires. The prepay sent
	// to a channel carries the same deadline, so the channel refuses payment after it.
	UnpaidTTL time.Duration
	// MaxCopies bounds the photos on one sheet; MaxQuantity the count on one line.
	MaxCopies   int
	MaxQuantity int
}

// DefaultConfig is what the service uses unless told otherwise.
func DefaultConfig() Config {
	return Config{
		Prices:      Prices{EPhotoFen: 500, PrintSheetFen: 1500, MailingFen: 1000},
		UnpaidTTL:   30 * time.Minute,
		MaxCopies:   16,
		MaxQuantity: 20,
	}
}

// Validate reports a config that can't work.
func (c Config) Validate() error {
	var errs []error
	p := c.Prices
	if p.EPhotoFen <= 0 || p.PrintSheetFen <= 0 || p.MailingFen < 0 {
		errs = append(errs, errors.New("order: prices must be positive (mailing may be free)"))
	}
	const maxPrice = 1_000_000_00 // ¥1,000,000: far above any photo, far below overflow
	if p.EPhotoFen > maxPrice || p.PrintSheetFen > maxPrice || p.MailingFen > maxPrice {
		errs = append(errs, errors.New("order: a price is above ¥1,000,000"))
	}
	// WeChat Pay's time_expire must be at least a minute ahead; a day is plenty to pay.
	if c.UnpaidTTL < time.Minute || c.UnpaidTTL > 24*time.Hour {
		errs = append(errs, fmt.Errorf("order: unpaid TTL %s must be within [1m, 24h]", c.UnpaidTTL))
	}
	if c.MaxCopies < 1 || c.MaxCopies > 64 {
		errs = append(errs, fmt.Errorf("order: max copies %d must be within [1, 64]", c.MaxCopies))
	}
	if c.MaxQuantity < 1 || c.MaxQuantity > 100 {
		errs = append(errs, fmt.Errorf("order: max quantity %d must be within [1, 100]", c.MaxQuantity))
	}
	return errors.Join(errs...)
}

// ErrBadLines wraps every reason Price refuses an order's lines. Its messages are safe to
// show to the user.
var ErrBadLines = errors.New("order: bad items")

// Price checks the lines and prices them: an e-photo or print needs a job, a print sheet
// holds 1..MaxCopies photos, mailing needs prints and comes once.
func (c Config) Price(lines []Line) ([]Item, int64, error) {
	if len(lines) == 0 {
		return nil, 0, fmt.Errorf("%w: the order is empty", ErrBadLines)
	}
	items := make([]Item, 0, len(lines))
	var total int64
	prints, mailings := 0, 0
	for i, l := range lines {
		q := l.Quantity
		if q == 0 {
			q = 1
		}
		if q < 0 || q > c.MaxQuantity {
			return nil, 0, fmt.Errorf("%w: line %d: quantity %d is outside 1..%d", ErrBadLines, i+1, l.Quantity, c.MaxQuantity)
		}
		it := Item{Kind: l.Kind, JobID: l.JobID, Quantity: q}
		switch l.Kind {
		case KindEPhoto:
			if l.JobID == "" {
				return nil, 0, fmt.Errorf("%w: line %d: an e-photo needs a photo job", ErrBadLines, i+1)
			}
			if l.Copies != 0 {
				return nil, 0, fmt.Errorf("%w: line %d: an e-photo has no copies", ErrBadLines, i+1)
			}
			it.UnitFen = c.Prices.EPhotoFen
		case KindPrint:
			if l.JobID == "" {
				return nil, 0, fmt.Errorf("%w: line %d: a print needs a photo job", ErrBadLines, i+1)
			}
			if l.Copies < 1 || l.Copies > c.MaxCopies {
				return nil, 0, fmt.Errorf("%w: line %d: a sheet holds 1..%d copies, not %d", ErrBadLines, i+1, c.MaxCopies, l.Copies)
			}
			it.Copies = l.Copies
			it.UnitFen = c.Prices.PrintSheetFen
			prints++
		case KindMailing:
			if l.JobID != "" || l.Copies != 0 || q != 1 {
				return nil, 0, fmt.Errorf("%w: line %d: mailing takes no job, copies or quantity", ErrBadLines, i+1)
			}
			it.UnitFen = c.Prices.MailingFen
			mailings++
		default:
			return nil, 0, fmt.Errorf("%w: line %d: unknown kind %q", ErrBadLines, i+1, l.Kind)
		}
		it.AmountFen = it.UnitFen * int64(q) // bounded by Validate: no overflow
		total += it.AmountFen
		items = append(items, it)
	}
	switch {
	case mailings > 1:
		return nil, 0, fmt.Errorf("%w: mailing can be asked for once", ErrBadLines)
	case mailings == 1 && prints == 0:
		return nil, 0, fmt.Errorf("%w: mailing needs prints to mail", ErrBadLines)
	case prints > 0 && mailings == 0:
		// Prints exist only to be mailed; there is no pick-up counter.
		return nil, 0, fmt.Errorf("%w: prints need mailing", ErrBadLines)
	}
	return items, total, nil
}

// FormatFen writes an amount of fen as yuan with two decimals: 1234 → "12.34".
func FormatFen(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
