package casework

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// FuzzCleanPhoto: any upload is refused with an error or cleaned into an
// image that decodes again, within the pixel limit; never a panic.
func FuzzCleanPhoto(f *testing.F) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var p, j bytes.Buffer
	png.Encode(&p, img)
	jpeg.Encode(&j, img, nil)
	f.Add(p.Bytes())
	f.Add(j.Bytes())
	f.Add(pngHeader(60000, 60000))
	f.Add(append(append([]byte{}, jpegMagic...), 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42))
	f.Fuzz(func(t *testing.T, data []byte) {
		ph, err := CleanPhoto(data)
		if err != nil {
			return
		}
		if ph.Width*ph.Height > MaxPhotoPixels {
			t.Fatalf("cleaned %d×%d", ph.Width, ph.Height)
		}
		if _, _, err := image.Decode(bytes.NewReader(ph.Data)); err != nil {
			t.Fatalf("the cleaned photo does not decode: %v", err)
		}
	})
}
