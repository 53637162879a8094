package main

import "fmt"

func init() {
	register("nilmap", "assignment to entry in nil map inside an inlined function", runNilMap)
}

func runNilMap(args []string) {
	setFact("crashGoroutine", goid())
	setFact("crashKind", "panic")
	setFact("crashMessage", "panic: assignment to entry in nil map")
	setFact("crashFunction", "main.setEntry")
	setFact("inlinedInto", "main.buildIndex")
	flushFacts()
	idx := buildIndex([]string{"alpha", "beta", "gamma"})
	fmt.Println(len(idx))
}

// setEntry is small enough for the compiler to inline into buildIndex.
func setEntry(m map[string]int, key string, v int) {
	m[key] = v
}

//go:noinline
func buildIndex(words []string) map[string]int {
	var idx map[string]int // never made
	for i, w := range words {
		setEntry(idx, w, i)
	}
	return idx
}
