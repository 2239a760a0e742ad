package httpapi

import (
	"net/http"

	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/printorder"
	"github.com/idphoto/idphoto/internal/sheet"
)

// printPaper is the paper print orders are printed on (the operator's sheets of
// GET /ops/orders/{id}/sheet): the sheet GET /jobs/{id}/sheet draws by default.
const printPaper = printorder.PaperID

type shopResponse struct {
	Prices struct {
		EPhotoFen     int64 `json:"ephoto_fen"`
		PrintSheetFen int64 `json:"print_sheet_fen"`
		MailingFen    int64 `json:"mailing_fen"`
	} `json:"prices"`
	MaxCopies   int `json:"max_copies"`
	MaxQuantity int `json:"max_quantity"`
	// PaymentChannels are the enabled channels, in the order a client offers them;
	// LoginChannels the mini-program logins whose ids WeChat Pay and Alipay bill.
	PaymentChannels []string `json:"payment_channels"`
	LoginChannels   []string `json:"login_channels"`
	// For ?spec=: the paper prints go on and how many copies of the spec fit on it
	// (capped at MaxCopies); 0 when the spec has no print size.
	Paper       string `json:"paper,omitempty"`
	SheetCopies *int   `json:"sheet_copies,omitempty"`
}

// shop tells a client what can be bought here and how it is paid, so that it offers
// only what the server takes: prices in fen, the print limits, the enabled payment
// and login channels, and with ?spec= the copies of that spec one print sheet holds.
func (a *API) shop(w http.ResponseWriter, r *http.Request, _ string) {
	oc := a.cfg.Orders
	var res shopResponse
	res.Prices.EPhotoFen, res.Prices.PrintSheetFen, res.Prices.MailingFen = oc.Prices.EPhotoFen, oc.Prices.PrintSheetFen, oc.Prices.MailingFen
	res.MaxCopies, res.MaxQuantity = oc.MaxCopies, oc.MaxQuantity
	res.PaymentChannels = []string{}
	for _, c := range []payment.Channel{payment.WeChatPay, payment.Alipay, payment.Sandbox} {
		if a.pay[c] != nil {
			res.PaymentChannels = append(res.PaymentChannels, string(c))
		}
	}
	res.LoginChannels = []string{}
	for _, c := range []login.Channel{login.WeChat, login.Alipay} {
		if a.logins.by[c] != nil {
			res.LoginChannels = append(res.LoginChannels, string(c))
		}
	}
	if id := r.URL.Query().Get("spec"); id != "" {
		sp, err := a.specs.Lookup(id)
		if err != nil {
			a.respondError(w, r, fail(CodeUnknownSpec, "no photo spec with that id"))
			return
		}
		n := 0
		if sp.WidthMM > 0 && sp.HeightMM > 0 {
			paper, _ := sheet.LookupPaper(printPaper)
			if l, err := sheet.Plan([]sheet.Photo{{WidthMM: sp.WidthMM, HeightMM: sp.HeightMM}}, sheet.DefaultOptions(paper)); err == nil {
				n = min(len(l.Placements), oc.MaxCopies)
			}
		}
		res.Paper, res.SheetCopies = printPaper, &n
	}
	writeJSON(w, http.StatusOK, res)
}
