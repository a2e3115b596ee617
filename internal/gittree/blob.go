package gittree

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// MaxFileSize is the largest file phasegen reads from a git tree: the
// configs and the base are capped at 1 MiB each when read from disk.
const MaxFileSize = 1 << 20

// ErrTooLarge is wrapped by a refusal to read a blob over its cap.
var ErrTooLarge = errors.New("too large")

// sizer is what go-git's filesystem storage offers: an object's size read
// from its header (a loose object's first bytes, a packed object's entry),
// without inflating it.
type sizer interface {
	EncodedObjectSize(plumbing.Hash) (int64, error)
}

// BlobSize returns the size of blob h from its object header: a blob of
// gigabytes is not inflated to learn it.
func BlobSize(st storer.EncodedObjectStorer, h plumbing.Hash) (int64, error) {
	if s, ok := st.(sizer); ok {
		return s.EncodedObjectSize(h)
	}
	o, err := st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return 0, err
	}
	return o.Size(), nil
}

// ReadBlob returns the content of blob h, refusing (with its size, and
// ErrTooLarge) one over max bytes before reading any of it.
func ReadBlob(st storer.EncodedObjectStorer, h plumbing.Hash, max int64) ([]byte, error) {
	size, err := BlobSize(st, h)
	if err != nil {
		return nil, err
	}
	if size > max {
		return nil, fmt.Errorf("%d bytes, over the %d-byte limit: %w", size, max, ErrTooLarge)
	}
	o, err := st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than %d bytes: %w", max, ErrTooLarge)
	}
	return data, nil
}
