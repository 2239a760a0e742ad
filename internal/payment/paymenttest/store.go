// Package paymenttest holds what tests of payment providers share: an in-memory order
// store and the conformance suite every payment.Provider passes against its gateway.
package paymenttest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
)

// MemStore is a payment.Store in memory; one mutex serialises all updates.
type MemStore struct {
	mu     sync.Mutex
	orders map[string]order.Order
	writes int
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{orders: map[string]order.Order{}} }

// Put stores a copy of an order.
func (s *MemStore) Put(o order.Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.Items = slices.Clone(o.Items)
	s.orders[o.ID] = o
}

// Get returns a copy of an order.
func (s *MemStore) Get(id string) (order.Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	o.Items = slices.Clone(o.Items)
	return o, ok
}

// Writes counts the updates that saved something.
func (s *MemStore) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Update implements payment.Store.
func (s *MemStore) Update(ctx context.Context, id string, fn func(o *order.Order) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return fmt.Errorf("memstore: order %s: %w", id, payment.ErrOrderNotFound)
	}
	o.Items = slices.Clone(o.Items)
	if err := fn(&o); err != nil {
		return err
	}
	s.orders[id] = o
	s.writes++
	return nil
}
