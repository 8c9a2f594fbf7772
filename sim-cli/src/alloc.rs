//! mimalloc as the global allocator, called the way std's `System` calls malloc on Unix
//! (library/std/src/sys/alloc/unix.rs): the plain entry points when the alignment is at
//! most 16 bytes and at most the size — mimalloc's blocks are aligned that much
//! (MI_MAX_ALIGN_SIZE; a smaller block to its size class) — and the aligned ones
//! otherwise. The mimalloc crate's `MiMalloc` calls the aligned entry points for every
//! allocation; their checks were about 2 % of the density bench's instructions (a pod
//! makes some 500 allocations). Written here because that crate has no option for it.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The largest alignment a plain `mi_malloc` block has (MI_MAX_ALIGN_SIZE).
const MIN_ALIGN: usize = 16;

pub struct MiMalloc;

/// Whether a block of `size` bytes from the plain entry points is aligned to `align`.
fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

// SAFETY: every call forwards to mimalloc, whose blocks satisfy the layout: the plain
// entry points only where their alignment guarantee covers it (`plain`), the aligned
// ones otherwise; `mi_free` frees either kind.
unsafe impl GlobalAlloc for MiMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation functions accept any size.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_malloc(layout.size()) as *mut u8
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_zalloc(layout.size()) as *mut u8
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (GlobalAlloc's contract).
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`; the new block keeps the
        // alignment as `alloc` would give it for `new_size`.
        unsafe {
            if plain(layout.align(), new_size) {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every small size and alignment, allocated, zeroed, grown and shrunk
    /// through this allocator, are aligned as their layouts ask. Each size is asked for
    /// 40 times with the blocks kept, so that blocks past the first of a page (not only
    /// one block reused) are checked: with 24-byte size classes, say, every other one
    /// would be 8 bytes off a 16-byte alignment.
    #[test]
    fn blocks_are_aligned_as_asked() {
        let a = MiMalloc;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 56, 100, 1000, 5000, 70_000] {
                let layout = Layout::from_size_align(size, align).expect("a layout");
                // SAFETY: a nonzero size; each block is freed with its layout.
                let kept: Vec<*mut u8> = (0..40).map(|_| unsafe { a.alloc(layout) }).collect();
                assert!(kept.iter().all(|p| !p.is_null() && (*p as usize).is_multiple_of(align)), "40 blocks of {size}/{align}");
                // SAFETY: each came from `alloc` with `layout`.
                kept.into_iter().for_each(|p| unsafe { a.dealloc(p, layout) });
                // SAFETY: as above.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null() && (p as usize).is_multiple_of(align), "alloc {size}/{align}");
                    let z = a.alloc_zeroed(layout);
                    assert!((z as usize).is_multiple_of(align) && std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0), "zeroed {size}/{align}");
                    p.write_bytes(7, size);
                    // Grown, then shrunk below the first size.
                    let (mut block, mut now) = (p, layout);
                    for new in [size * 2 + 1, size.div_ceil(2)] {
                        let q = a.realloc(block, now, new);
                        assert!((q as usize).is_multiple_of(align), "realloc {size}→{new}/{align}");
                        assert!(std::slice::from_raw_parts(q, size.min(new)).iter().all(|b| *b == 7), "kept {size}→{new}");
                        (block, now) = (q, Layout::from_size_align(new, align).expect("a layout"));
                    }
                    a.dealloc(block, now);
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
