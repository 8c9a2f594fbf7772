//! mimalloc as the global allocator, called the way std's `System` calls malloc on Unix
//! (library/std/src/sys/alloc/unix.rs): the plain entry points when the alignment is at
//! most 16 bytes and at most the size — mimalloc's blocks are aligned that much
//! (MI_MAX_ALIGN_SIZE; a smaller block to its size class) — and the aligned ones
//! otherwise. The mimalloc crate's `MiMalloc` calls the aligned entry points for every
//! allocation; their checks were about 2 % of the density bench's instructions (a pod
//! makes some 500 allocations). Written here because that crate has no option for it.
//!
//! Its memory comes in transparent huge pages where the kernel offers them (mimalloc
//! advises its arenas `MADV_HUGEPAGE`; the crate's `no_thp` feature is off), and its
//! arenas' freed memory is kept for reuse rather than purged, given back to the kernel
//! (`configure`; a block of more than 2 GiB, made outside the arenas, is still unmapped
//! when freed). A simulation's heap grows to its peak and is reused there, and each
//! page the kernel maps costs a fault and a zeroing. On the 2-core virtual machine of
//! the README's figures that was the largest item of a big run's profile (perf: 15 %
//! of `ksim bench density --nodes 1000 --pods 30000` in page faults, 12 % in the
//! kernel's clear_page_erms), and its cost varied from run to run: `--nodes 5000 --pods 150000`
//! made about 200,000 faults on 4 KiB pages and ran in 21–65 s; on huge pages, never
//! given back, about 880 faults and 15.4–16.8 s (same fingerprint). The cost is memory
//! rounded up to huge pages: peak RSS 3 % more there (678 → 699 MiB), 14 % at 1,000
//! nodes / 30,000 pods (154 → 175 MiB), 16 MiB more on a small run (100 / 3,000).
//! Given back after mimalloc's default delay (a second), a huge page freed and touched
//! again is faulted and zeroed again (12,000–23,000 faults, 18–23 s); an earlier build
//! kept huge pages off for that reason.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_int, c_long, c_void};

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_t` (include/mimalloc.h of
/// the mimalloc v3 that libmimalloc-sys 0.1.49 builds; the crate's `extended` bindings
/// do not name it). The test below checks it is the option of that default.
const MI_OPTION_PURGE_DELAY: c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
}

/// Keeps freed memory for reuse (a purge delay of -1: "no purging at all") unless the
/// environment sets the delay, which mimalloc reads itself (to compare). Called first
/// thing in `main`.
pub fn configure() {
    if !delay_in_environment() {
        // SAFETY: sets one of mimalloc's options; any value is valid for it.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    }
}

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

/// Whether the environment sets mimalloc's purge delay: `MIMALLOC_PURGE_DELAY` or its
/// older name `MIMALLOC_RESET_DELAY` (options.c's legacy names).
fn delay_in_environment() -> bool {
    environment_sets(&["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"])
}

/// Whether the environment has a variable of one of `names`, in any case, as mimalloc
/// reads its options (prim.c's case-insensitive match).
fn environment_sets(names: &[&str]) -> bool {
    std::env::vars_os().any(|(k, _)| k.to_str().is_some_and(|k| names.iter().any(|n| k.eq_ignore_ascii_case(n))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option `configure` sets is the purge delay: its default is 1,000 (milliseconds,
    /// src/options.c: "purge delay in milli-seconds"), where its neighbours' are 1
    /// (deprecated_eager_commit_delay) and 0 (use_numa_nodes). A test process has not run
    /// `main`, so the defaults stand unless the environment sets one of the three.
    #[test]
    fn the_purge_delay_is_the_option_set() {
        if delay_in_environment() || environment_sets(&["MIMALLOC_DEPRECATED_EAGER_COMMIT_DELAY", "MIMALLOC_USE_NUMA_NODES"]) {
            return;
        }
        // SAFETY: reads options of mimalloc's table.
        let (before, it, after) =
            unsafe { (mi_option_get(MI_OPTION_PURGE_DELAY - 1), mi_option_get(MI_OPTION_PURGE_DELAY), mi_option_get(MI_OPTION_PURGE_DELAY + 1)) };
        assert_eq!((before, it, after), (1, 1000, 0));
    }

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
