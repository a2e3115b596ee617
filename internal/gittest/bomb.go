package gittest

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash/adler32"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// ZeroBlob writes a git loose blob object of n zero bytes under the object
// directory of each of gitDirs (a .git or bare repository) and returns its
// id. The object is a zlib stream of a few bytes per kilobyte of content,
// written directly in deflate's fixed-Huffman form (a literal zero, then
// copies of 258 bytes at distance 1), so a gigabyte-sized blob takes
// milliseconds to write (its id, a SHA-1 over all of it, about a second):
// what a hostile history can hold in a small pack or loose object.
func ZeroBlob(n int64, gitDirs ...string) (string, error) {
	header := []byte("blob " + strconv.FormatInt(n, 10) + "\x00")
	id, err := zeroID(header, n)
	if err != nil {
		return "", err
	}
	for _, gitDir := range gitDirs {
		if err := writeZeroObject(filepath.Join(gitDir, "objects", id[:2], id[2:]), header, n); err != nil {
			return "", err
		}
	}
	return id, nil
}

func writeZeroObject(p string, header []byte, n int64) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := writeZeroStream(w, header, n); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// zeroID is the object id of header followed by n zeros.
func zeroID(header []byte, n int64) (string, error) {
	h := sha1.New()
	h.Write(header)
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; {
		k := min(left, int64(len(zeros)))
		h.Write(zeros[:k])
		left -= k
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// bitWriter packs deflate's bits, least significant first.
type bitWriter struct {
	w    io.ByteWriter
	acc  uint64
	bits uint
	err  error
}

func (b *bitWriter) put(v uint64, n uint) {
	b.acc |= v << b.bits
	b.bits += n
	for b.bits >= 8 && b.err == nil {
		b.err = b.w.WriteByte(byte(b.acc))
		b.acc >>= 8
		b.bits -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (b *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := uint(0); i < n; i++ {
		r = r<<1 | (c>>i)&1
	}
	b.put(r, n)
}

// literal writes a fixed-Huffman literal (0-143: 8 bits from 0x30).
func (b *bitWriter) literal(v byte) {
	if v > 143 {
		b.err = fmt.Errorf("literal %d not supported", v)
		return
	}
	b.code(0x30+uint64(v), 8)
}

// writeZeroStream writes zlib(header + n zeros).
func writeZeroStream(w io.ByteWriter, header []byte, n int64) error {
	if n < 1 {
		return fmt.Errorf("a zero blob needs at least one byte")
	}
	bw := &bitWriter{w: w}
	bw.put(0x78, 8)
	bw.put(0x01, 8)
	bw.put(1, 1) // BFINAL
	bw.put(1, 2) // BTYPE 01: fixed Huffman
	for _, c := range header {
		bw.literal(c)
	}
	bw.literal(0)
	left := n - 1
	for left >= 3 && bw.err == nil {
		l := min(left, 258)
		if left-l > 0 && left-l < 3 {
			l = left - 3 // leave at least a copy of 3
		}
		lengthCode(bw, int(l))
		bw.code(0, 5) // distance code 0: distance 1
		left -= l
	}
	for ; left > 0; left-- {
		bw.literal(0)
	}
	bw.code(0, 7) // end of block: code 256
	if bw.bits > 0 {
		bw.put(0, 8-bw.bits)
	}
	sum := adler32.Checksum(header)
	s1, s2 := sum&0xffff, sum>>16
	s2 = uint32((uint64(s2) + uint64(n%65521)*uint64(s1)) % 65521) // each zero adds s1 to s2
	for _, v := range []byte{byte(s2 >> 8), byte(s2), byte(s1 >> 8), byte(s1)} {
		bw.put(uint64(v), 8)
	}
	return bw.err
}

// lengthCode writes a copy length of 3 to 258 in fixed Huffman.
func lengthCode(bw *bitWriter, l int) {
	if l == 258 {
		bw.code(285-280+0xc0, 8) // codes 280-287: 8 bits from 0xc0
		return
	}
	base := []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227}
	extra := []uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5}
	i := len(base) - 1
	for base[i] > l {
		i--
	}
	sym := 257 + i
	if sym < 280 {
		bw.code(uint64(sym-256), 7) // codes 256-279: 7 bits from 0
	} else {
		bw.code(uint64(sym-280+0xc0), 8)
	}
	bw.put(uint64(l-base[i]), extra[i])
}
