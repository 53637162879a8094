// The program behind `dapcore demo`: a small order service that crashes.
//
// Three workers wait for orders on a channel, a reporter sleeps between
// reports, and main places orders against an inventory. The inventory's
// index map was never made, so the second order that goes through panics
// with "assignment to entry in nil map" inside the inlined (*Inventory).remember.
// Run with GOTRACEBACK=crash, the runtime then aborts and the kernel writes
// the core that dapcore opens.
package main

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

type Order struct {
	ID       int
	Customer string
	Items    []string
	Total    float64
	Placed   time.Time
}

type Inventory struct {
	mu    sync.Mutex
	stock map[string]int
	index map[string]*Order // never made: the bug
}

var (
	processed int
	lastErr   error
	jobs      = make(chan *Order)
)

var errOutOfStock = errors.New("out of stock")

func (inv *Inventory) reserve(o *Order) error {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	for _, item := range o.Items {
		if inv.stock[item] == 0 {
			return fmt.Errorf("order %d: %q: %w", o.ID, item, errOutOfStock)
		}
	}
	for _, item := range o.Items {
		inv.stock[item]--
	}
	inv.remember(o)
	return nil
}

func (inv *Inventory) remember(o *Order) {
	inv.index[o.Customer] = o
}

func worker(id int, wg *sync.WaitGroup) {
	wg.Done()
	for o := range jobs {
		fmt.Fprintf(os.Stderr, "worker %d: order %d\n", id, o.ID)
	}
}

func reporter(every time.Duration) {
	for {
		time.Sleep(every)
		fmt.Fprintf(os.Stderr, "processed %d orders\n", processed)
	}
}

func place(inv *Inventory, orders []*Order, notify func(*Order)) {
	for _, o := range orders {
		if err := inv.reserve(o); err != nil {
			lastErr = err
			continue
		}
		processed++
		notify(o)
	}
}

func main() {
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go worker(i, &wg)
	}
	wg.Wait()
	go reporter(time.Hour)

	inv := &Inventory{stock: map[string]int{"gopher plush": 2, "sticker": 40, "mug": 0}}
	placed := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	orders := []*Order{
		{ID: 1041, Customer: "ada", Items: []string{"mug"}, Total: 12.5, Placed: placed},
		{ID: 1042, Customer: "grace", Items: []string{"gopher plush", "sticker"}, Total: 31.9,
			Placed: placed.Add(90 * time.Second)},
	}
	sent := 0
	channel := "email"
	notify := func(o *Order) {
		sent++
		fmt.Fprintf(os.Stderr, "%s to %s: order %d\n", channel, o.Customer, o.ID)
	}
	place(inv, orders, notify)
	fmt.Fprintln(os.Stderr, "unreachable: sent", sent)
}
