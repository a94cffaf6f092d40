package feed

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.OSVEcosystems) != 22 || len(c.AlpineBranches) != 7 || c.MaxResponseBytes != 2<<30 || c.EPSSURL != DefaultEPSSURL {
		t.Errorf("defaults %+v", c)
	}
	none := Config{OSVEcosystems: []string{}, AlpineBranches: []string{}}.WithDefaults()
	if len(none.OSVEcosystems) != 0 || len(none.AlpineBranches) != 0 {
		t.Errorf("empty lists must stay empty: %+v", none)
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{
		Mirror:           "ftp://mirror",
		ConnectTimeout:   -time.Second,
		KEVURL:           "gopher://x",
		DebianTrackerURL: "https:///x",
		OSVEcosystems:    []string{"Go", "Debain", "Go", "../x"},
		AlpineBranches:   []string{"v3.20", "3.20", "edge", "vX.Y"},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`mirror "ftp://mirror"`, "connect timeout -1s", "KEV URL", "Debian tracker URL",
		`OSV ecosystem "Debain"`, `"Go" listed twice`, `OSV ecosystem "../x"`, `Alpine branch "3.20"`, `Alpine branch "vX.Y"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if err := (Config{KEVURL: Disabled, EPSSURL: "file:///srv/epss.csv.gz", Mirror: "file:///srv/mirror"}).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}
