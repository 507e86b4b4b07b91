package casework

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/errs"
)

// TestDecodeBudget (issue 16): photos decode within a shared pixel budget —
// a decode waits while the budget is held and gives up with its request —
// and a decompression bomb (a small PNG whose header claims 60000×60000)
// is refused from its header without taking any budget.
func TestDecodeBudget(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 48))); err != nil {
		t.Fatal(err)
	}
	small := buf.Bytes()
	b := NewDecodeBudget(MaxPhotoPixels)
	if err := b.sem.Acquire(context.Background(), MaxPhotoPixels); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.Clean(ctx, small); err == nil {
		t.Fatalf("decoded while the whole budget was held")
	}
	b.sem.Release(MaxPhotoPixels)
	p, err := b.Clean(context.Background(), small)
	if err != nil || p.Width != 64 || p.Height != 48 {
		t.Fatalf("within the budget: %v %+v", err, p)
	}
	// The bomb: a valid PNG header (IHDR 60000×60000) and no pixel data.
	bomb := pngHeader(60000, 60000)
	b.sem.Acquire(context.Background(), MaxPhotoPixels) // would block a decode
	defer b.sem.Release(MaxPhotoPixels)
	_, err = b.Clean(context.Background(), bomb)
	if e, ok := errs.As(err); !ok || e.Reason != "too_many_pixels" {
		t.Fatalf("bomb: %v, want too_many_pixels from the header", err)
	}
}

// pngHeader is a PNG signature and IHDR chunk for a w×h 8-bit RGBA image.
func pngHeader(w, h uint32) []byte {
	var out bytes.Buffer
	out.Write(pngMagic)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&out, binary.BigEndian, uint32(len(ihdr)))
	out.Write(chunk)
	binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return out.Bytes()
}
