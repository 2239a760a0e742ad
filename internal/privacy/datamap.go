package privacy

import "sort"

// Class is a kind of stored data (R9): what it is, which decides how it is protected
// and how long it is kept.
type Class string

// Data classes.
const (
	ClassPhoto        Class = "photo"        // the user's photos and what is made of them
	ClassFaceDerived  Class = "face-derived" // measurements of a face (never stored: P3)
	ClassContact      Class = "contact"      // name, phone, e-mail
	ClassShipping     Class = "shipping"     // a print order's mailing details
	ClassPaymentID    Class = "payment-id"   // openid, buyer_id, trade numbers, payer IP
	ClassDevice       Class = "device"       // device UUID, model, OS and app version (S5)
	ClassUsage        Class = "usage"        // what the user did and when: ids, times, choices
	ClassSystem       Class = "system"       // the service's own bookkeeping, about no one
	ClassPseudonymous Class = "pseudonymous" // about a user, named only by a one-way pseudonym
	ClassKey          Class = "key-material" // wrapped keys: their loss is crypto-shredding
)

// Field is the data map's entry for one column.
type Field struct {
	Class   Class
	Purpose string
}

// DataMap classifies every column of every table (R9). A test reads the live schema
// after all migrations and fails on a column that is not here: a migration that adds
// a column must say what it holds and why.
var DataMap = map[string]map[string]Field{
	"schema_version": {
		"version":    {ClassSystem, "which migrations ran"},
		"name":       {ClassSystem, "which migrations ran"},
		"applied_at": {ClassSystem, "which migrations ran"},
	},
	"users": {
		"id":          {ClassUsage, "the account: links a user's sessions, photos and orders"},
		"role":        {ClassSystem, "access control: user, operator or auditor (S2)"},
		"name_sealed": {ClassContact, "a staff member's name, for the audit trail's readers (S2); sealed"},
		"created_at":  {ClassUsage, "account age, for support and retention"},
		// Migration 0007.
		"profile_sealed": {ClassContact, "the user's display name and default shipping contact, to prefill print orders (R5, O4); sealed"},
	},
	"data_keys": {
		"user_id":       {ClassUsage, "whose data key"},
		"master_key_id": {ClassSystem, "which master key wraps it, for rotation"},
		"wrapped":       {ClassKey, "the user's data key, wrapped (S1); deleting it shreds the user's data"},
	},
	"sessions": {
		"id":            {ClassUsage, "the signed-in device"},
		"token_hash":    {ClassSystem, "authentication: a hash of the bearer token"},
		"user_id":       {ClassUsage, "whose session"},
		"device_sealed": {ClassDevice, "operating the service (S5); sealed, never joined to photos"},
		"created_at":    {ClassUsage, "session lifetime"},
		"expires_at":    {ClassUsage, "session lifetime"},
	},
	"photos": {
		"id":         {ClassUsage, "names the uploaded photo"},
		"user_id":    {ClassUsage, "whose photo (S2)"},
		"blob_key":   {ClassSystem, "where the sealed bytes are"},
		"format":     {ClassPhoto, "decoding the photo"},
		"width":      {ClassPhoto, "limits and layout"},
		"height":     {ClassPhoto, "limits and layout"},
		"size_bytes": {ClassPhoto, "limits"},
		"created_at": {ClassUsage, "retention clock of unpaid photos (R1)"},
		// The library (issue 7, migration 0006).
		"sort_at":     {ClassPhoto, "the feed's order (P8): the capture month only (YYYYMM, else the upload month), in the clear so pages are read by index; the exact capture time is sealed in meta_sealed (migration 0010)"},
		"meta_sealed": {ClassPhoto, "capture time, camera, size, placeholder colour; coarse place and people count only with consent (P9); sealed"},
	},
	"photo_thumbs": {
		"photo_id":     {ClassUsage, "which photo the thumbnail is of"},
		"width":        {ClassSystem, "which of the fixed thumbnail widths"},
		"thumb_sealed": {ClassPhoto, "the feed's thumbnail (P8), a JPEG without metadata; sealed"},
	},
	"jobs": {
		"id":           {ClassUsage, "names the ID-photo job"},
		"user_id":      {ClassUsage, "whose job (S2)"},
		"photo_id":     {ClassUsage, "which photo it is made from"},
		"spec_id":      {ClassUsage, "which ID-photo spec"},
		"background":   {ClassUsage, "which background colour"},
		"state":        {ClassSystem, "the job's progress"},
		"attempts":     {ClassSystem, "crash recovery"},
		"error_code":   {ClassSystem, "why a job failed, as a code"},
		"error_sealed": {ClassPhoto, "the user-facing failure message; sealed, may name head measurements"},
		"unlocked":     {ClassUsage, "the clean file was paid for"},
		"created_at":   {ClassUsage, "retention clock of unpaid results (R1)"},
		"updated_at":   {ClassSystem, "the job's progress"},
		"paid_at":      {ClassUsage, "retention clock of paid e-photos: 7 days (R1)"},
	},
	"audit_log": {
		"seq":       {ClassSystem, "order of the hash chain"},
		"at":        {ClassSystem, "when (S2, S3)"},
		"actor":     {ClassUsage, "which staff member (or user, system) acted (S2)"},
		"action":    {ClassSystem, "what was done"},
		"subject":   {ClassPseudonymous, "whose data: a pseudonym that outlives the account (S3)"},
		"detail":    {ClassSystem, "counts and kinds, no personal data"},
		"prev_hash": {ClassSystem, "tamper evidence"},
		"hash":      {ClassSystem, "tamper evidence"},
	},
	"privacy_requests": {
		"id":          {ClassSystem, "names the request"},
		"subject":     {ClassPseudonymous, "who asked: a pseudonym that outlives the account (R6)"},
		"kind":        {ClassSystem, "access, correction, deletion or cancellation (R6)"},
		"scope":       {ClassSystem, "what the request covered, no ids"},
		"received_at": {ClassSystem, "the 15-working-day clock (R6)"},
		"due_at":      {ClassSystem, "the 15-working-day clock (R6)"},
		"done_at":     {ClassSystem, "when it was answered (R6)"},
	},
	"legal_holds": {
		"id":          {ClassSystem, "names the hold"},
		"scope":       {ClassSystem, "what the hold keeps: a user, an order or a photo (R7)"},
		"target_id":   {ClassUsage, "the held user, order or photo (R7)"},
		"reason":      {ClassSystem, "why it is kept (R7); no personal data"},
		"placed_by":   {ClassUsage, "which staff member placed the hold (S2), or 'cli'"},
		"created_at":  {ClassSystem, "the hold's life"},
		"until_at":    {ClassSystem, "the hold's end, when it has one (R7)"},
		"released_at": {ClassSystem, "the hold's life"},
	},
	"retention_runs": {
		"id":      {ClassSystem, "names the sweep"},
		"at":      {ClassSystem, "when the sweep ran"},
		"dry_run": {ClassSystem, "whether it only counted"},
		"counts":  {ClassSystem, "what it deleted: counts only"},
	},
	"exports": {
		"id":         {ClassUsage, "names the export (R5)"},
		"user_id":    {ClassUsage, "whose export"},
		"token_hash": {ClassSystem, "the download link's token, hashed"},
		"blob_key":   {ClassSystem, "where the sealed archive is"},
		"created_at": {ClassUsage, "when it was asked for"},
		"expires_at": {ClassSystem, "the link's end; the sweep deletes the archive after"},
		"used_at":    {ClassSystem, "the link works once"},
	},
	// Orders and the ledger (issue 5).
	"orders": {
		"id":              {ClassPaymentID, "order number, sent to the payment channel as out trade number (O1)"},
		"user_id":         {ClassUsage, "whose order"},
		"items_json":      {ClassUsage, "what was bought (O1)"},
		"total_fen":       {ClassUsage, "what it cost (O1)"},
		"status":          {ClassUsage, "the order's state (O1)"},
		"channel":         {ClassPaymentID, "WeChat Pay or Alipay (O2)"},
		"trade_no":        {ClassPaymentID, "the channel's trade number, for reconciliation (O3)"},
		"mailing_sealed":  {ClassShipping, "name, address, phone of a print order (O4); sealed"},
		"pay_ip_sealed":   {ClassPaymentID, "the payer's IP, for the accounting ledger only (O3); sealed"},
		"created_at":      {ClassUsage, "order time (O1)"},
		"expires_at":      {ClassSystem, "an unpaid order's end"},
		"paid_at":         {ClassUsage, "payment time (O1); retention clock (R1, R2)"},
		"fulfilled_at":    {ClassUsage, "the order's state (O1)"},
		"shipped_at":      {ClassUsage, "the order's state (O1)"},
		"closed_at":       {ClassUsage, "the order's state (O1)"},
		"cancelled_at":    {ClassUsage, "the order's state (O1)"},
		"refunded_at":     {ClassUsage, "the order's state (O1, O5)"},
		"tracking_sealed": {ClassShipping, "a shipped print order's tracking number (O4); sealed"},
		"updated_at":      {ClassSystem, "the order's state"},
	},
	"order_jobs": {
		"order_id": {ClassUsage, "which jobs an order pays for"},
		"job_id":   {ClassUsage, "which jobs an order pays for"},
		// When the job's clean file was first delivered under the order: an e-photo
		// order is fulfilled once every job of it was (O1).
		"delivered_at": {ClassUsage, "the order's state: e-photos delivered (O1)"},
	},
	"preview_views": {
		"user_id":  {ClassUsage, "the preview was shown before checkout (O5)"},
		"job_id":   {ClassUsage, "the preview was shown before checkout (O5)"},
		"first_at": {ClassUsage, "the preview was shown before checkout (O5)"},
	},
	"ledger": {
		"channel":      {ClassPaymentID, "accounting audit (O3)"},
		"trade_no":     {ClassPaymentID, "accounting audit (O3)"},
		"entry_sealed": {ClassPaymentID, "openid or buyer_id, IP, amounts, for accounting audit (O3); sealed with the ledger key"},
		"sandbox":      {ClassSystem, "test payments apart"},
		"recorded_at":  {ClassSystem, "accounting periods (O3)"},
		"kind":         {ClassSystem, "a payment or a refund (O3, O5)"},
	},
	// A paid trade whose order could not take it (cancelled, expired, paid twice):
	// flagged for an operator to refund; names the order, never the user (O5).
	"late_payments": {
		"channel":      {ClassPaymentID, "which channel holds the money (O3)"},
		"trade_no":     {ClassPaymentID, "the channel's trade number, to refund it (O3, O5)"},
		"order_id":     {ClassPaymentID, "the out trade number the channel refunds by (O2)"},
		"amount_fen":   {ClassUsage, "what is to be returned (O5)"},
		"order_status": {ClassUsage, "why the order could not take the payment"},
		"sandbox":      {ClassSystem, "test payments apart"},
		"found_at":     {ClassSystem, "when the payment was found"},
		"refunded_at":  {ClassSystem, "when an operator refunded it (O5)"},
		"refund_no":    {ClassPaymentID, "the channel's refund number (O3)"},
	},
	// Logins and staff (issues 4, 5).
	"logins": {
		"lookup":         {ClassPseudonymous, "finds the account of a WeChat openid or Alipay user id: a keyed hash"},
		"channel":        {ClassSystem, "WeChat or Alipay login"},
		"user_id":        {ClassUsage, "whose login"},
		"subject_sealed": {ClassPaymentID, "the openid or Alipay user id, for payments (O2, O3); sealed"},
		"created_at":     {ClassUsage, "first login"},
		"last_at":        {ClassUsage, "last login"},
	},
	"service_secrets": {
		"name":       {ClassSystem, "which secret"},
		"sealed":     {ClassKey, "the login lookup key, sealed with a key held by no user"},
		"created_at": {ClassSystem, "when it was made"},
	},
	"ledger_keys": {
		"name":          {ClassSystem, "which ledger key"},
		"master_key_id": {ClassSystem, "which master key wraps it"},
		"wrapped":       {ClassKey, "the ledger key, wrapped (O3)"},
	},
	// Consent, support and closing (issue 6, migration 0005).
	"consents": {
		"seq":     {ClassSystem, "order of the append-only consent log"},
		"subject": {ClassPseudonymous, "who consented: a pseudonym, so the proof outlives the account (R8)"},
		"kind":    {ClassSystem, "a policy accepted or a separate purpose (R8, P9)"},
		"name":    {ClassSystem, "which policy or purpose"},
		"version": {ClassSystem, "which policy version was accepted (R8)"},
		"granted": {ClassUsage, "granted or withdrawn (R8, P9)"},
		"at":      {ClassUsage, "when, as proof of consent (R8)"},
	},
	"support_tickets": {
		"id":            {ClassSystem, "names the ticket, for the user to quote"},
		"ticket_sealed": {ClassContact, "contact and text of a support request (S4); sealed with the support key, joined to no account"},
		"created_on":    {ClassSystem, "retention clock of tickets (S4); the day only, so no session matches it by time"},
	},
	"support_keys": {
		"name":          {ClassSystem, "which support key"},
		"master_key_id": {ClassSystem, "which master key wraps it"},
		"wrapped":       {ClassKey, "the support key, wrapped (S4); held by no user"},
	},
	"service_notice": {
		"id":           {ClassSystem, "the one notice"},
		"effective_at": {ClassSystem, "the service's closing date: the API announces it, the sweep erases after"},
		"announced_at": {ClassSystem, "when the closing was announced"},
	},
}

// Tables lists the data map's tables in order.
func Tables() []string {
	var out []string
	for t := range DataMap {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
