//go:build race

package gridindex_test

const raceEnabled = true
