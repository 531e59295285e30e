//go:build !race

package decode

// raceEnabled: timings are meaningless under the race detector.
const raceEnabled = false
