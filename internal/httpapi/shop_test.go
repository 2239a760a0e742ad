package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
)

type shopJSON struct {
	Prices struct {
		EPhotoFen     int64 `json:"ephoto_fen"`
		PrintSheetFen int64 `json:"print_sheet_fen"`
		MailingFen    int64 `json:"mailing_fen"`
	}
	MaxCopies       int      `json:"max_copies"`
	MaxQuantity     int      `json:"max_quantity"`
	PaymentChannels []string `json:"payment_channels"`
	LoginChannels   []string `json:"login_channels"`
	Paper           string
	SheetCopies     *int `json:"sheet_copies"`
}

func (e *env) shop(query string) shopJSON {
	e.t.Helper()
	res := e.do("GET", "/api/v1/shop"+query, "", "", nil)
	if res.status != http.StatusOK {
		e.t.Fatalf("GET /shop%s: %d %s", query, res.status, res.body)
	}
	var s shopJSON
	res.json(e.t, &s)
	return s
}

// A client learns, without a session, the prices, the print limits, how many copies
// of a spec one sheet holds, and only the payment and login channels enabled here.
func TestShopOffersWhatTheServerTakes(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	s := e.shop("")
	cfg := testConfig().Orders
	if s.Prices.EPhotoFen != cfg.Prices.EPhotoFen || s.Prices.PrintSheetFen != cfg.Prices.PrintSheetFen ||
		s.Prices.MailingFen != cfg.Prices.MailingFen || s.MaxCopies != cfg.MaxCopies || s.MaxQuantity != cfg.MaxQuantity {
		t.Errorf("shop %+v, config %+v", s, cfg)
	}
	if s.PaymentChannels == nil || len(s.PaymentChannels) != 0 || len(s.LoginChannels) != 0 || s.SheetCopies != nil {
		t.Errorf("no channels enabled, yet %+v", s)
	}
	one := e.shop("?spec=cn-1inch")
	big := e.shop("?spec=cn-2inch")
	if one.Paper != "6in" || one.SheetCopies == nil || *one.SheetCopies < 4 || *one.SheetCopies > cfg.MaxCopies ||
		big.SheetCopies == nil || *big.SheetCopies < 1 || *big.SheetCopies >= *one.SheetCopies {
		t.Errorf("copies per sheet: 1-inch %+v, 2-inch %+v", one, big)
	}
	if res := e.do("GET", "/api/v1/shop?spec=nope", "", "", nil); res.status != http.StatusBadRequest || res.code() != "unknown_spec" {
		t.Errorf("unknown spec: %d %s", res.status, res.body)
	}

	p := newPayEnv(t).shop("")
	if !slices.Equal(p.PaymentChannels, []string{"wechatpay", "alipay", "sandbox"}) || !slices.Equal(p.LoginChannels, []string{"wechat", "alipay"}) {
		t.Errorf("with every channel: %+v", p)
	}
}
