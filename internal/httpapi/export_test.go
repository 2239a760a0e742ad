package httpapi

import "time"

// SetNow sets the API's clock, for tests of what happens after an order's time.
func (a *API) SetNow(now func() time.Time) { a.now = now }

// SetRaceHooks sets the functions called between the steps of the pay and cancel
// requests, for tests that run their interleavings one by one.
func (a *API) SetRaceHooks(payUpdated, cancelled func(orderID string)) {
	a.hooks = raceHooks{payUpdated: payUpdated, cancelled: cancelled}
}

// MaxMyRequests is how many of their requests GET /me/requests shows a user.
const MaxMyRequests = maxMyRequests
