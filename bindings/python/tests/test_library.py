"""Finding and verifying librsk: RSK_LIBRARY, sha256 records, and errors that list what was tried."""
import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import rsk
from rsk import _library


class LibraryTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rsk-library-"))
        self.addCleanup(shutil.rmtree, self.dir)

    def copy(self) -> Path:
        target = self.dir / "librsk.so"
        shutil.copyfile(rsk.library()._name, target)
        return target

    def test_rsk_library_overrides_and_is_the_only_path_tried(self):
        missing = self.dir / "nowhere" / "librsk.so"
        with mock.patch.dict(os.environ, {"RSK_LIBRARY": str(missing)}), self.assertRaises(rsk.LibraryLoadError) as caught:
            _library.load()
        self.assertEqual(caught.exception.tried, (f"{missing}: no such file",))
        self.assertIn(f"RSK_LIBRARY={missing}", str(caught.exception))

    def test_a_copy_whose_sha256_differs_from_its_record_is_refused(self):
        library = self.copy()
        (self.dir / "librsk.json").write_text(json.dumps({"sha256": "0" * 64}))
        with mock.patch.dict(os.environ, {"RSK_LIBRARY": str(library)}), self.assertRaisesRegex(rsk.LibraryLoadError, "sha256 .* differs"):
            _library.load()

    def test_a_copy_matching_its_record_loads(self):
        library = self.copy()
        (self.dir / "librsk.json").write_text(json.dumps({"sha256": __import__("hashlib").sha256(library.read_bytes()).hexdigest()}))
        with mock.patch.dict(os.environ, {"RSK_LIBRARY": str(library)}):
            self.assertEqual(_library.load().rsk_abi_version(), rsk.ABI_VERSION)


if __name__ == "__main__":
    unittest.main()
