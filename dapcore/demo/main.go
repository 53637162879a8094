// Command zoo is dapcore's fixture program: each scenario makes a Go process
// die (or park, for snapshots) in a known way, so that its core dump can be
// checked against the runtime's own traceback and against the facts the
// program writes about itself.
//
// Usage: zoo SCENARIO [ARGS...]
//
// Environment: ZOO_OUT names a directory for side files:
//
//	facts.json  what the program knows about itself (always written)
//	values.json expected variable values (values scenario)
//	stack.txt   runtime.Stack(all) just before parking (snapshot scenario)
//	ready       created when the process waits to be signalled or dumped
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

type scenario struct {
	run  func(args []string)
	help string
}

var scenarios = map[string]scenario{}

func register(name, help string, run func(args []string)) {
	scenarios[name] = scenario{run: run, help: help}
}

// facts is written to ZOO_OUT/facts.json before the crash.
var facts = struct {
	sync.Mutex
	m map[string]any
}{m: map[string]any{}}

func setFact(key string, value any) {
	facts.Lock()
	facts.m[key] = value
	facts.Unlock()
}

func outPath(name string) string {
	dir := os.Getenv("ZOO_OUT")
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, name)
}

// writeJSON writes v to ZOO_OUT/name atomically (write then rename).
func writeJSON(name string, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoo: encoding", name, ":", err)
		os.Exit(3)
	}
	writeFile(name, data)
}

func writeFile(name string, data []byte) {
	tmp := outPath(name + ".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "zoo:", err)
		os.Exit(3)
	}
	if err := os.Rename(tmp, outPath(name)); err != nil {
		fmt.Fprintln(os.Stderr, "zoo:", err)
		os.Exit(3)
	}
}

// flushFacts writes facts.json. Call it right before crashing.
func flushFacts() {
	facts.Lock()
	defer facts.Unlock()
	writeJSON("facts.json", facts.m)
}

// markReady flushes facts and creates ZOO_OUT/ready.
func markReady() {
	flushFacts()
	writeFile("ready", []byte(strconv.Itoa(os.Getpid())))
}

// goid returns the calling goroutine's id, parsed from its own stack header.
func goid() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := strings.TrimPrefix(string(buf[:n]), "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		s = s[:i]
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic("zoo: cannot parse goroutine id from " + string(buf[:n]))
	}
	return id
}

func main() {
	if len(os.Args) < 2 {
		names := make([]string, 0, len(scenarios))
		for name := range scenarios {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintln(os.Stderr, "usage: zoo SCENARIO [ARGS...]")
		for _, name := range names {
			fmt.Fprintf(os.Stderr, "  %-16s %s\n", name, scenarios[name].help)
		}
		os.Exit(2)
	}
	sc, ok := scenarios[os.Args[1]]
	if !ok {
		fmt.Fprintln(os.Stderr, "zoo: unknown scenario", os.Args[1])
		os.Exit(2)
	}
	setFact("scenario", os.Args[1])
	setFact("args", os.Args[2:])
	setFact("pid", os.Getpid())
	setFact("goVersion", runtime.Version())
	setFact("mainGoroutine", goid())
	sc.run(os.Args[2:])
	fmt.Fprintln(os.Stderr, "zoo: scenario", os.Args[1], "returned without crashing")
	os.Exit(4)
}
