package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// paidPrintOrder writes, as serve would, a print order paid through WeChat Pay with
// its sealed recipient and its sealed ledger entry, into the data folder dir.
func paidPrintOrder(t *testing.T, dir, keyText string) (orderID, payer string) {
	t.Helper()
	ctx := context.Background()
	st := testStore(t, dir)
	defer st.Close()
	keys, err := vault.ParseKeyring(keyText)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(keys, st)
	if err != nil {
		t.Fatal(err)
	}
	lv, err := vault.New(keys, st.LedgerKeys())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	user := store.NewID()
	photo := store.Photo{ID: store.NewID(), UserID: user, BlobKey: "k", Format: "jpeg", CreatedAt: now}
	job := store.Job{ID: store.NewID(), UserID: user, PhotoID: photo.ID, SpecID: "cn-1inch", Background: "#FFFFFF", CreatedAt: now}
	if err := st.CreateUser(ctx, store.User{ID: user, Role: store.RoleUser, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreatePhoto(ctx, photo); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateJob(ctx, job); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordPreview(ctx, user, job.ID, now); err != nil {
		t.Fatal(err)
	}
	o, err := order.New(order.DefaultConfig(), order.NewID(), user,
		[]order.Line{{Kind: order.KindPrint, JobID: job.ID, Copies: 8}, {Kind: order.KindMailing}}, now)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(mailing{Name: "张三丰", Address: "广东省深圳市南山区科技园路1号", Phone: "13812345678"})
	sealed, err := v.Seal(ctx, user, plain, privacy.MailingContext(o.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateOrder(ctx, store.Order{Order: *o, MailingSealed: sealed}); err != nil {
		t.Fatal(err)
	}
	payer = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	trade := payment.Trade{Channel: payment.WeChatPay, OutTradeNo: o.ID, TradeNo: "4200001234" + o.ID[:8], AmountFen: o.TotalFen,
		PayerID: payer, PaidAt: now, State: payment.StatePaid}
	entry, err := ledger.Seal(ctx, lv, ledger.FromTrade(trade, *o, "203.0.113.9", now))
	if err != nil {
		t.Fatal(err)
	}
	err = st.RecordPayment(ctx, o.ID, func(so *store.Order) error {
		if err := so.Apply(order.EventPay, now); err != nil {
			return err
		}
		return so.MarkPaid(string(trade.Channel), trade.TradeNo, now)
	}, entry)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID, payer
}

// The operator's commands on the data folder (O4): the print orders to post with their
// recipients in clear, each read audited first; marking one shipped with its tracking
// number, audited; a second ship, a bad tracking number or id are refused.
func TestPromiseO4OrdersCommands(t *testing.T) {
	dir := t.TempDir()
	id, _ := paidPrintOrder(t, dir, withMasterKey(t))
	cli := cliOn(t, dir)
	list := cli(exitOK, "orders", "list")
	if row := lineWith(list, id); !strings.Contains(row, "张三丰") || !strings.Contains(row, "13812345678") ||
		!strings.Contains(row, "科技园路1号") || !strings.Contains(row, "1×8") || !strings.Contains(row, "25.00") {
		t.Fatalf("orders list:\n%s", list)
	}
	if l := cli(exitOK, "orders", "list", "--status", "shipped"); strings.Contains(l, id) {
		t.Fatalf("a paid order listed as shipped:\n%s", l)
	}
	cli(exitUsage, "orders", "ship", id, "--tracking", "SF 12")
	cli(exitUsage, "orders", "ship", "not-an-order", "--tracking", "SF1234567890")
	cli(exitUsage, "orders", "list", "--status", "created")
	cli(exitUsage, "orders")
	cli(exitRuntime, "orders", "ship", order.NewID(), "--tracking", "SF1234567890")

	if out := cli(exitOK, "orders", "ship", id, "--tracking", "SF1234567890"); !strings.Contains(out, "shipped") {
		t.Fatalf("ship: %q", out)
	}
	if out := cli(exitRuntime, "orders", "ship", id, "--tracking", "SF1234567890"); !strings.Contains(out, "shipped") {
		t.Fatalf("second ship: %q", out)
	}
	if row := lineWith(cli(exitOK, "orders", "list", "--status", "shipped"), id); !strings.Contains(row, "SF1234567890") {
		t.Fatalf("shipped order: %q", row)
	}
	if l := cli(exitOK, "orders", "list"); strings.Contains(l, id) {
		t.Fatalf("a shipped order is still to post:\n%s", l)
	}

	var reads, ships int
	for _, e := range auditRows(t, dir) {
		if e.Actor != audit.ActorCLI {
			t.Errorf("entry by %q", e.Actor)
		}
		switch e.Action {
		case audit.ActionRead:
			reads++
		case audit.ActionShip:
			ships++
		}
		if e.Detail != "order.mailing "+id && e.Detail != "order "+id || e.Subject == "" || strings.Contains(e.Detail, "张") {
			t.Errorf("entry %+v", e)
		}
	}
	if reads != 2 || ships != 1 {
		t.Fatalf("%d reads and %d ships audited; want 2 and 1", reads, ships)
	}

	// Without the master key nothing opens.
	t.Setenv("IDPHOTO_MASTER_KEY", "")
	cli(exitRuntime, "orders", "list")
}

// The auditor's export (O3): the entries of a date range as CSV, payer and IP in clear
// for the auditor, the export audited; outside the range, nothing.
func TestPromiseO3LedgerExportCommand(t *testing.T) {
	dir := t.TempDir()
	id, payer := paidPrintOrder(t, dir, withMasterKey(t))
	cli := cliOn(t, dir)
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	csv := cli(exitOK, "ledger", "export", "--from", today, "--to", tomorrow)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "recorded_at,") || !strings.Contains(lines[1], id) ||
		!strings.Contains(lines[1], payer) || !strings.Contains(lines[1], "203.0.113.9") || !strings.Contains(lines[1], ",2500,25.00,") {
		t.Fatalf("ledger csv:\n%s", csv)
	}
	if got := cli(exitOK, "ledger", "export", "--from", "2020-01-01", "--to", "2020-01-02"); strings.Count(got, "\n") != 1 {
		t.Fatalf("an empty range: %q", got)
	}
	file := filepath.Join(t.TempDir(), "ledger.csv")
	cli(exitOK, "ledger", "export", "--from", today, "--to", tomorrow, "-o", file)
	b, err := os.ReadFile(file)
	if err != nil || string(b) != csv {
		t.Fatalf("file: %v\n%s", err, b)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v", fi.Mode())
	}
	cli(exitUsage, "ledger", "export", "--from", tomorrow, "--to", today)
	cli(exitUsage, "ledger", "export", "--from", "yesterday", "--to", today)
	cli(exitUsage, "ledger", "import")

	var exports []string
	for _, e := range auditRows(t, dir) {
		if e.Action == audit.ActionLedgerExport && e.Actor == audit.ActorCLI {
			exports = append(exports, e.Detail)
		}
		if strings.Contains(e.Detail, payer) {
			t.Errorf("the payer id is in the audit log")
		}
	}
	if len(exports) != 3 || !strings.HasSuffix(exports[0], " 1 entries") || !strings.HasSuffix(exports[1], " 0 entries") {
		t.Fatalf("exports audited: %q", exports)
	}
}

// A recipient stored before the API refused control characters can't drive the
// operator's terminal from 'orders list': every control character becomes a space.
func TestOneLineDropsControlCharacters(t *testing.T) {
	got := oneLine("张三\x1b]0;pwned\x07\t\r\n\u009b31m")
	if strings.ContainsFunc(got, unicode.IsControl) {
		t.Fatalf("oneLine left a control character: %q", got)
	}
	if !strings.HasPrefix(got, "张三 ]0;pwned") {
		t.Fatalf("oneLine changed the text around: %q", got)
	}
}
