// Command fleetgen writes a synthetic fleet for benchmarks (see package
// fleet): fleetgen [-n N] [-src environments] DIR.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/coditect/phasegen/internal/fleet"
)

func main() {
	n := flag.Int("n", 1000, "number of environments")
	src := flag.String("src", "environments", "the shipped config directory (phases and capacity are copied from it)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: fleetgen [-n N] [-src DIR] OUTDIR")
		os.Exit(2)
	}
	if err := fleet.Write(flag.Arg(0), *src, *n); err != nil {
		fmt.Fprintln(os.Stderr, "fleetgen:", err)
		os.Exit(1)
	}
}
