package casework

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
	"github.com/gridd/gridd/internal/errs"
)

// jpegWithGPS builds a small JPEG carrying an EXIF block with a GPS
// position (and a camera model, to check that metadata is dropped).
func jpegWithGPS(t testing.TB, lat, lon float64) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 90, 255})
		}
	}
	return jpegWithExif(t, img, lat, lon, 0)
}

// jpegWithExif encodes img as JPEG with an EXIF block: a camera model, a
// GPS position and, unless 0, an orientation tag.
func jpegWithExif(t testing.TB, img image.Image, lat, lon float64, orientation uint16) []byte {
	t.Helper()
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		t.Fatal(err)
	}
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		t.Fatal(err)
	}
	ti := exif.NewTagIndex()
	ib := exif.NewIfdBuilder(im, ti, exifcommon.IfdStandardIfdIdentity, exifcommon.EncodeDefaultByteOrder)
	if err := ib.SetStandardWithName("Model", "SecretCam 9000"); err != nil {
		t.Fatal(err)
	}
	if orientation != 0 {
		if err := ib.SetStandardWithName("Orientation", []uint16{orientation}); err != nil {
			t.Fatal(err)
		}
	}
	gps, err := exif.GetOrCreateIbFromRootIb(ib, "IFD/GPSInfo")
	if err != nil {
		t.Fatal(err)
	}
	dms := func(v float64) []exifcommon.Rational {
		v = math.Abs(v)
		d := math.Floor(v)
		m := math.Floor((v - d) * 60)
		s := ((v-d)*60 - m) * 60
		return []exifcommon.Rational{{Numerator: uint32(d), Denominator: 1}, {Numerator: uint32(m), Denominator: 1}, {Numerator: uint32(math.Round(s * 10000)), Denominator: 10000}}
	}
	for name, v := range map[string]any{"GPSLatitudeRef": "N", "GPSLatitude": dms(lat), "GPSLongitudeRef": "E", "GPSLongitude": dms(lon)} {
		if err := gps.SetStandardWithName(name, v); err != nil {
			t.Fatal(name, err)
		}
	}
	raw, err := exif.NewIfdByteEncoder().EncodeToExif(ib)
	if err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), raw...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	b := plain.Bytes()
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, b[2:]...)
}

func TestCleanPhotoKeepsGPSDropsEXIF(t *testing.T) {
	in := jpegWithGPS(t, 36.7012345, 117.5298765)
	if !bytes.Contains(in, []byte("SecretCam")) {
		t.Fatal("fixture lacks its EXIF")
	}
	p, err := CleanPhoto(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "image/jpeg" || p.Width != 32 || p.Height != 24 {
		t.Errorf("got %s %dx%d", p.ContentType, p.Width, p.Height)
	}
	if p.GPS == nil || math.Abs(p.GPS[0]-117.5298765) > 1e-5 || math.Abs(p.GPS[1]-36.7012345) > 1e-5 {
		t.Errorf("GPS hint %v, want [117.5298765 36.7012345]", p.GPS)
	}
	if bytes.Contains(p.Data, []byte("SecretCam")) || bytes.Contains(p.Data, []byte("Exif\x00")) {
		t.Error("the cleaned photo still carries EXIF")
	}
	if _, err := jpeg.Decode(bytes.NewReader(p.Data)); err != nil {
		t.Errorf("cleaned photo does not decode: %v", err)
	}
}

func TestCleanPhotoRejects(t *testing.T) {
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	p, err := CleanPhoto(pngBuf.Bytes())
	if err != nil || p.ContentType != "image/png" || p.GPS != nil {
		t.Fatalf("png: %v %+v", err, p)
	}
	for name, data := range map[string][]byte{
		"gif":       []byte("GIF89a\x01\x00\x01\x00"),
		"text":      []byte("hello, not an image"),
		"truncated": jpegWithGPS(t, 36.7, 117.5)[:200],
		"png magic": append(append([]byte{}, pngMagic...), "garbage"...),
	} {
		_, err := CleanPhoto(data)
		e, ok := errs.As(err)
		if !ok || e.Kind != errs.Invalid || e.Fields[0].Field != "file" {
			t.Errorf("%s: got %v, want Invalid on field file", name, err)
		}
	}
	if _, err := CleanPhoto(make([]byte, MaxPhotoBytes+1)); errs.KindOf(err) != errs.TooLarge {
		t.Errorf("oversized: %v", err)
	}
}

// TestCleanPhotoAppliesOrientation: a phone photo stored sideways with an
// EXIF orientation is turned upright before its metadata is dropped, so
// the re-encoded photo shows what the camera showed.
func TestCleanPhotoAppliesOrientation(t *testing.T) {
	// 32×24, left half red, right half blue.
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			c := color.RGBA{220, 20, 20, 255}
			if x >= 16 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	red := func(c color.Color) bool { r, _, b, _ := c.RGBA(); return r > 2*b }
	blue := func(c color.Color) bool { r, _, b, _ := c.RGBA(); return b > 2*r }
	for _, tc := range []struct {
		orientation   uint16
		w, h          int
		redAt, blueAt image.Point
	}{
		{1, 32, 24, image.Pt(2, 12), image.Pt(29, 12)}, // as stored
		{3, 32, 24, image.Pt(29, 12), image.Pt(2, 12)}, // upside down: turned 180°
		{6, 24, 32, image.Pt(12, 2), image.Pt(12, 29)}, // turned 90° clockwise: left edge on top
		{8, 24, 32, image.Pt(12, 29), image.Pt(12, 2)}, // turned 90° anticlockwise
	} {
		p, err := CleanPhoto(jpegWithExif(t, img, 36.7, 117.5, tc.orientation))
		if err != nil {
			t.Fatal(err)
		}
		out, err := jpeg.Decode(bytes.NewReader(p.Data))
		if err != nil {
			t.Fatal(err)
		}
		if b := out.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h || p.Width != tc.w || p.Height != tc.h {
			t.Errorf("orientation %d: %v (stored %d×%d), want %d×%d", tc.orientation, b, p.Width, p.Height, tc.w, tc.h)
			continue
		}
		if !red(out.At(tc.redAt.X, tc.redAt.Y)) || !blue(out.At(tc.blueAt.X, tc.blueAt.Y)) {
			t.Errorf("orientation %d: %v is not red or %v not blue", tc.orientation, tc.redAt, tc.blueAt)
		}
		if bytes.Contains(p.Data, []byte("Exif")) {
			t.Errorf("orientation %d: EXIF kept", tc.orientation)
		}
	}
}
