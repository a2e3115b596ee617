// Command genhistory writes the production histories of package history
// (the shipped example's and examples/store's) as
// OpenMetrics to the file given, and prints the last sample's time (unix
// seconds) for `phasegen status --at`. `make demo` runs it.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/coditect/phasegen/internal/history"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genhistory FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genhistory:", err)
		os.Exit(1)
	}
}

func run(file string) error {
	end := time.Now().UTC().Truncate(time.Hour)
	h := history.Merge(history.Generate(history.Production(end)),
		history.Generate(history.StoreAPI(end)), history.Generate(history.StoreDB(end)))
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := h.WriteOpenMetrics(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println(h.End.Unix())
	return nil
}
