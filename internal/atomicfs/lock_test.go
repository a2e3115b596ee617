package atomicfs

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/coditect/phasegen/internal/fileset"
)

func TestLockSerialisesWriters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "overlays")
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock while held: %v, want ErrLocked", err)
	}
	// The holder can still write: the lock guards writers from each other,
	// not the tree from its holder.
	if err := Write(dir, fileset.Set{"a.yaml": []byte("a\n")}); err != nil {
		t.Fatal(err)
	}
	unlock()
	again, err := TryLock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
	if _, err := TryLock(filepath.Join(t.TempDir(), "other", "overlays")); err != nil {
		t.Fatalf("lock of another tree: %v", err)
	}
}
