// Package rsk binds the rsk sampler and token-mask kernels (the C ABI in kernels/include/rsk.h) through cgo.
//
// It compiles against the repository's rsk.h and links kernels/build/librsk.so (built by `npm run build:kernels`),
// with that directory as the run path; set CGO_CFLAGS / CGO_LDFLAGS to build against another copy.
package rsk

/*
#cgo CFLAGS: -I${SRCDIR}/../../kernels/include
#cgo LDFLAGS: -L${SRCDIR}/../../kernels/build -lrsk -Wl,-rpath,${SRCDIR}/../../kernels/build -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include "rsk.h"

// The file the dynamic loader mapped librsk from (NULL if unknown).
static const char *rsk_loaded_path(void) {
  Dl_info info;
  return dladdr((void *)rsk_abi_version, &info) ? info.dli_fname : NULL;
}
*/
import "C"

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ABIVersion is the RSK_ABI_VERSION these bindings were written for; a library reporting another is refused.
const ABIVersion = 1

var libraryPath, libraryErr = verifyLibrary()

// Library returns the path librsk was loaded from, or why it was refused (every call then returns that error).
func Library() (string, error) {
	return libraryPath, libraryErr
}

// verifyLibrary checks the loaded librsk: its ABI version and its recorded sha256.
func verifyLibrary() (string, error) {
	path := C.GoString(C.rsk_loaded_path())
	if header := int(C.RSK_ABI_VERSION); header != ABIVersion {
		return path, fmt.Errorf("rsk: compiled against an rsk.h of ABI version %d, these bindings are for %d", header, ABIVersion)
	}
	if abi := int(C.rsk_abi_version()); abi != ABIVersion {
		return path, fmt.Errorf("rsk: %s has ABI version %d, these bindings expect %d", path, abi, ABIVersion)
	}
	return path, checkManifest(path)
}

// checkManifest compares the library's sha256 with the manifest.json the kernel build writes beside it (as ffi/mod.ts
// does before dlopen; here the loader has already mapped it, so a mismatch disables the binding instead).
func checkManifest(path string) error {
	manifest := filepath.Join(filepath.Dir(path), "manifest.json")
	text, err := os.ReadFile(manifest)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("rsk: cannot read %s: %w", manifest, err)
	}
	var record struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(text, &record); err != nil {
		return fmt.Errorf("rsk: %s: %w", manifest, err)
	}
	bytes, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rsk: cannot read %s: %w", path, err)
	}
	sum := sha256.Sum256(bytes)
	if actual := hex.EncodeToString(sum[:]); actual != record.SHA256 {
		return fmt.Errorf("rsk: %s has sha256 %s, %s records %s: refusing to use it", path, actual, manifest, record.SHA256)
	}
	return nil
}
