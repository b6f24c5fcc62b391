#!/usr/bin/env python3
"""Makes the components_*.bin fixtures with scipy.ndimage.label (run once; the files are committed).

Format (little-endian): b"EMSHCC1\\0", u32 z, y, x, connectivity, u32 count of masks; then per mask
the u8 mask (z*y*x bytes) followed by scipy's u32 labels (z*y*x words).
Run: /work/main/.venv-bench/bin/python Tests/KernelsTests/Fixtures/make_components.py
"""
import os, struct
import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (5, 12, 14)
STRUCT = {6: ndimage.generate_binary_structure(3, 1),
          18: ndimage.generate_binary_structure(3, 2),
          26: ndimage.generate_binary_structure(3, 3)}

def main():
    rng = np.random.default_rng(20261127)
    for conn, st in STRUCT.items():
        masks = [(rng.random(SHAPE) < d).astype(np.uint8) for d in (0.25, 0.45, 0.6)]
        with open(os.path.join(HERE, f"components_{conn}.bin"), "wb") as f:
            f.write(b"EMSHCC1\0")
            f.write(struct.pack("<5I", *SHAPE, conn, len(masks)))
            for m in masks:
                lab, n = ndimage.label(m, structure=st)
                f.write(m.tobytes())
                f.write(lab.astype("<u4").tobytes())
        print(f"components_{conn}.bin: {len(masks)} masks")

if __name__ == "__main__":
    main()
