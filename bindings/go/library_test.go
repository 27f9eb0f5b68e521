package rsk

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTheManifestBesideTheLibraryIsChecked(t *testing.T) {
	loaded, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	bytes, err := os.ReadFile(loaded)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "librsk.so")
	if err := os.WriteFile(copyPath, bytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkManifest(copyPath); err != nil {
		t.Fatalf("no manifest: %v", err)
	}
	sum := sha256.Sum256(bytes)
	for digest, refused := range map[string]bool{hex.EncodeToString(sum[:]): false, strings.Repeat("0", 64): true} {
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"sha256":"`+digest+`"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := checkManifest(copyPath); (err != nil) != refused || (refused && !strings.Contains(err.Error(), "refusing")) {
			t.Errorf("recorded %s: %v", digest, err)
		}
	}
}
