package views

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestHumanForms(t *testing.T) {
	assert.Equal(t, "1h", TTLShort(59*time.Minute+59*time.Second+500*time.Millisecond), "rounds up like TTLLong")
	assert.Equal(t, "1h 0m", TTLLong(59*time.Minute+59*time.Second+500*time.Millisecond))
	assert.Equal(t, "1s", TTLShort(10*time.Millisecond))
	assert.Equal(t, "0s", TTLShort(-time.Second))
	assert.Equal(t, "6d", TTLShort(7*24*time.Hour-time.Minute))
	assert.Equal(t, "6d 23h", TTLLong(7*24*time.Hour-time.Minute))
	assert.Equal(t, "4m 59s", TTLLong(299*time.Second))
	assert.Equal(t, "2y", TTLShort(2*365*24*time.Hour))
	assert.Equal(t, "512 B", Bytes(512))
	assert.Equal(t, "2.1 KiB", Bytes(2150))
	assert.Equal(t, "16 MiB", Bytes(16<<20))
	assert.Equal(t, "1,234,567", Commas(1234567))
	assert.Equal(t, "-1,000", Commas(-1000))
	assert.Equal(t, "999", Commas(999))
}
