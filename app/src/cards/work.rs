//! A count of the steps the readers of outside text take (the Markdown and
//! HTML converters, validation, rendering), so tests can show that their
//! work grows in proportion to their input: a GitHub issue body is written
//! by a stranger and may be built to make a reader slow.
//!
//! Every loop of those readers calls [`step`] once per turn, and a search
//! or copy done by the standard library calls [`steps`] with the length it
//! covered. Outside tests both are empty and inlined away: this code ships
//! in the browser's bundle, and counting must cost it nothing.

/// One turn of a loop.
#[inline(always)]
pub(crate) fn step() {
    #[cfg(test)]
    counter::add(1);
}

/// Work proportional to `n` (characters or bytes searched or copied).
#[inline(always)]
pub(crate) fn steps(n: usize) {
    #[cfg(test)]
    counter::add(n as u64);
    #[cfg(not(test))]
    let _ = n;
}

/// `f`'s result and the steps it took.
#[cfg(test)]
pub(crate) fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    counter::take();
    let result = f();
    (result, counter::take())
}

#[cfg(test)]
mod counter {
    use std::cell::Cell;

    thread_local! {
        // Per thread, so tests running side by side do not add to each
        // other's counts.
        static STEPS: Cell<u64> = const { Cell::new(0) };
    }

    pub(super) fn add(n: u64) {
        STEPS.with(|steps| steps.set(steps.get().saturating_add(n)));
    }

    pub(super) fn take() -> u64 {
        STEPS.with(|steps| steps.replace(0))
    }
}
