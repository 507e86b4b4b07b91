package registers

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// CheckIDNumber validates an 18-character resident identity number
// (GB 11643-1999): 17 digits, a birth date, and the ISO 7064 MOD 11-2
// check character (0-9 or X).
func CheckIDNumber(s string) error {
	if len(s) != 18 {
		return fmt.Errorf("want 18 characters, got %d", utf8.RuneCountInString(s))
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("character %d must be a digit", i+1)
		}
		sum += int(c-'0') * weights[i]
	}
	if _, err := time.Parse("20060102", s[6:14]); err != nil {
		return fmt.Errorf("characters 7-14 must be a birth date YYYYMMDD, got %s", s[6:14])
	}
	want := "10X98765432"[sum%11]
	if got := strings.ToUpper(s[17:])[0]; got != want {
		return fmt.Errorf("the check character is wrong (the number is mistyped)")
	}
	return nil
}

// MaskIDNumber shows the first 4 and last 4 characters, e.g.
// 3701**********1234.
func MaskIDNumber(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
}

// MaskPhone shows the first 3 and last 4 digits of a mobile number.
func MaskPhone(s string) string {
	if len(s) != 11 {
		return MaskIDNumber(s)
	}
	return s[:3] + "****" + s[7:]
}
