package casework

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"

	"github.com/disintegration/imaging"
	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
	"github.com/gridd/gridd/internal/errs"
	"github.com/paulmach/orb"
	"golang.org/x/sync/semaphore"
)

// Photo limits.
const (
	MaxPhotoBytes  = 10 << 20 // upload size cap
	MaxPhotoPixels = 40_000_000
)

// Photo is an uploaded image after cleaning: decoded and re-encoded, so no
// metadata (EXIF, XMP, comments) survives; the EXIF GPS position, if the
// original had one, is kept apart as a location hint.
type Photo struct {
	ID          int64
	OwnerID     int64
	ContentType string // image/jpeg or image/png
	Data        []byte
	Width       int
	Height      int
	SHA256      []byte
	GPS         *orb.Point // WGS84 lon/lat from EXIF, nil if none
	CaseID      int64
	// Key is the upload's Idempotency-Key ("" none). CreateUpload sets
	// Replayed when the key had stored a photo before: then ID is that
	// photo's and nothing new is stored.
	Key      string
	Replayed bool
}

var (
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
)

// CleanPhoto sniffs the type from the bytes (never from a name or header),
// refuses anything but JPEG and PNG, bounds the pixel count before decoding,
// reads the EXIF GPS position, and re-encodes the pixels with the standard
// library so that no metadata is kept.
func CleanPhoto(data []byte) (*Photo, error) {
	kind, err := photoHeader(data)
	if err != nil {
		return nil, err
	}
	return decodePhoto(data, kind)
}

// DecodeBudget bounds the pixels decoded at once across all uploads
// (decoded, a pixel takes 4 bytes or more): a photo's decoding takes
// width × height from it — read from the header before anything is
// decoded — and waits while others hold it, or gives up with its request.
// Six concurrent 6300×6300 PNGs then decode a few at a time instead of
// all at once.
type DecodeBudget struct {
	sem    *semaphore.Weighted
	pixels int64
}

// NewDecodeBudget returns a budget of pixels (at least MaxPhotoPixels).
func NewDecodeBudget(pixels int64) *DecodeBudget {
	pixels = max(pixels, MaxPhotoPixels)
	return &DecodeBudget{sem: semaphore.NewWeighted(pixels), pixels: pixels}
}

// Clean is CleanPhoto within the budget (nil b: unbounded).
func (b *DecodeBudget) Clean(ctx context.Context, data []byte) (*Photo, error) {
	kind, err := photoHeader(data)
	if err != nil || b == nil {
		if err != nil {
			return nil, err
		}
		return decodePhoto(data, kind)
	}
	cfg, _, _ := image.DecodeConfig(bytes.NewReader(data))
	n := int64(cfg.Width) * int64(cfg.Height)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	defer b.sem.Release(n)
	return decodePhoto(data, kind)
}

// photoHeader checks size, type and pixel count from the header alone
// (a decompression bomb is refused here, before decoding).
func photoHeader(data []byte) (string, error) {
	if len(data) > MaxPhotoBytes {
		return "", errs.E(errs.TooLarge, "photo_too_large", "the photo has %d bytes; at most %d", len(data), MaxPhotoBytes)
	}
	var kind string
	switch {
	case bytes.HasPrefix(data, jpegMagic):
		kind = "image/jpeg"
	case bytes.HasPrefix(data, pngMagic):
		kind = "image/png"
	default:
		return "", errs.Invalidf("file", "unsupported_type", "want a JPEG or PNG image (detected by its content)")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != kind {
		return "", errs.Invalidf("file", "undecodable_image", "the %s image cannot be decoded", kind)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPhotoPixels {
		return "", errs.Invalidf("file", "too_many_pixels", "the image is %d×%d; at most %d pixels", cfg.Width, cfg.Height, MaxPhotoPixels)
	}
	return kind, nil
}

// decodePhoto decodes, turns upright and re-encodes a checked photo.
func decodePhoto(data []byte, kind string) (*Photo, error) {
	// Decoded upright: a photo stored sideways with an EXIF orientation
	// (as phones do) is turned as the camera meant, since the orientation
	// tag goes with the rest of the metadata.
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, errs.Invalidf("file", "undecodable_image", "the %s image cannot be decoded: %v", kind, err)
	}
	b := img.Bounds()
	p := &Photo{ContentType: kind, Width: b.Dx(), Height: b.Dy(), GPS: exifGPS(data)}
	var out bytes.Buffer
	if kind == "image/jpeg" {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(&out, img)
	}
	if err != nil {
		return nil, fmt.Errorf("re-encode photo: %w", err)
	}
	p.Data = out.Bytes()
	h := sha256.Sum256(p.Data)
	p.SHA256 = h[:]
	return p, nil
}

// exifGPS returns the GPS position of the image's EXIF block, if it has a
// plausible one. Malformed EXIF is ignored: the hint is optional.
func exifGPS(data []byte) (pt *orb.Point) {
	defer func() {
		if recover() != nil {
			pt = nil
		}
	}()
	raw, err := exif.SearchAndExtractExif(data)
	if err != nil {
		return nil
	}
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return nil
	}
	_, index, err := exif.Collect(im, exif.NewTagIndex(), raw)
	if err != nil {
		return nil
	}
	ifd, err := index.RootIfd.ChildWithIfdPath(exifcommon.IfdGpsInfoStandardIfdIdentity)
	if err != nil {
		return nil
	}
	gi, err := ifd.GpsInfo()
	if err != nil {
		return nil
	}
	lat, lon := gi.Latitude.Decimal(), gi.Longitude.Decimal()
	if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 || (lat == 0 && lon == 0) {
		return nil
	}
	return &orb.Point{math.Round(lon*1e7) / 1e7, math.Round(lat*1e7) / 1e7}
}

// UploadStore keeps photos.
type UploadStore interface {
	CreateUpload(ctx context.Context, p *Photo) error
	FindUpload(ctx context.Context, id int64) (*Photo, error)
}
