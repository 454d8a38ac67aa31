//! A software prefetch: a hint that the memory of a value will be read soon. Unlike a
//! load, it does not hold up the instructions after it until the memory arrives, so the
//! look-ahead of [`CorrelationState::observe_batch`](super::state::CorrelationState)
//! can ask for many groups' buffers at once without filling the reorder window.

/// Asks for the cache line holding `address`, which need not be valid: a prefetch
/// neither reads nor writes memory as far as the program can tell, and never faults.
#[inline(always)]
pub(crate) fn prefetch_address(address: *const u8) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: `_mm_prefetch` needs SSE, which this code is compiled with (the cfg
        // above; it is part of the x86-64 baseline). PREFETCHT0 is a hint: it neither
        // reads nor writes memory as far as the program can tell and never faults, for
        // any address (Intel SDM, PREFETCHh), so no address can make it unsound.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(address.cast())
        };
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::prefetch_address;

    #[test]
    fn prefetching_changes_nothing() {
        let values: Vec<u64> = (0..1024).collect();
        for v in &values {
            prefetch_address(std::ptr::from_ref(v).cast());
        }
        let boxed = Box::new([7u8; 3]);
        prefetch_address(boxed.as_ptr());
        prefetch_address(std::ptr::from_ref(&boxed).cast());
        prefetch_address(std::ptr::from_ref(&()).cast());
        prefetch_address(std::ptr::null());
        prefetch_address(usize::MAX as *const u8);
        prefetch_address(values.as_ptr().cast::<u8>().wrapping_add(1 << 40));
        assert_eq!(values.iter().sum::<u64>(), 1023 * 1024 / 2);
        assert_eq!(*boxed, [7; 3]);
    }
}
