package auth

import (
	_ "embed"
	"strings"

	"github.com/gridd/gridd/internal/errs"
	"github.com/trustelem/zxcvbn"
)

// The password policy, in this one place (the API's user creation and
// `gridd user add|passwd` both call CheckPassword): at least MinPassword
// characters, not a common password, and a zxcvbn strength score of at
// least MinStrength (out of 4) counting the username and name as guessable.
// Demo and test logins are seeded by internal/demo, which hashes its fixed
// development password without this check.
const (
	MinPassword = 10
	MaxPassword = 256
	MinStrength = 3
)

//go:embed common_passwords.txt
var commonList string

var common = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonList, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m[l] = true
		}
	}
	return m
}()

// CheckPassword returns an Unprocessable error naming the field "password"
// when password breaks the policy; userInputs are the account's own words
// (username, name, phone) a guesser would try first.
func CheckPassword(password string, userInputs ...string) error {
	n := len([]rune(password))
	switch {
	case common[strings.ToLower(password)]:
		return weak("password_common", "this is one of the most common passwords; choose another")
	case n < MinPassword:
		return weak("password_too_short", "want at least %d characters; a passphrase of several words is easiest to remember", MinPassword)
	case n > MaxPassword:
		return weak("password_too_long", "want at most %d characters", MaxPassword)
	}
	inputs := []string{"gridd", "wangge"}
	for _, u := range userInputs {
		if u != "" {
			inputs = append(inputs, u)
		}
	}
	if r := zxcvbn.PasswordStrength(password, inputs); r.Score < MinStrength {
		return weak("password_weak", "too easy to guess (strength %d of 4, want %d): avoid names, dates, keyboard rows and common words; add unrelated words", r.Score, MinStrength)
	}
	return nil
}

func weak(reason, format string, args ...any) error {
	e := errs.E(errs.Unprocessable, reason, "password: "+format, args...)
	e.Fields = []errs.Field{{Field: "password", Reason: reason, Detail: strings.TrimPrefix(e.Msg, "password: ")}}
	return e
}
