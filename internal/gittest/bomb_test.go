package gittest

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The zero stream inflates to exactly the object git would store, with a
// valid checksum, for sizes around every copy-length boundary.
func TestZeroBlobInflates(t *testing.T) {
	for _, n := range []int64{1, 2, 3, 4, 258, 259, 260, 261, 262, 1000, 65521, 1 << 20} {
		dir := t.TempDir()
		id, err := ZeroBlob(n, dir)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, "objects", id[:2], id[2:]))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zlib.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		want := append([]byte("blob "+strconv.FormatInt(n, 10)+"\x00"), make([]byte, n)...)
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d: inflated %d bytes, want %d", n, len(got), len(want))
		}
	}
}
